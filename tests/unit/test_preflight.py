"""Pre-flight: the dataset, the paths and the pretrained model, checked before any container starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tao_tui.cli import main
from tao_tui.preflight import check_classes, check_model_file, image_size, preflight_stage, scan_kitti
from tao_tui.project import Project

PNG_1248x384 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\xe0\x00\x00\x01\x80" + b"\0" * 8


def _kitti(root: Path, labels: dict[str, str]) -> Path:
    (root / "image_2").mkdir(parents=True)
    (root / "label_2").mkdir()
    for stem, text in labels.items():
        (root / "image_2" / f"{stem}.png").write_bytes(PNG_1248x384)
        (root / "label_2" / f"{stem}.txt").write_text(text)
    return root


def test_good_kitti_dataset(tmp_path):
    scan = scan_kitti(_kitti(tmp_path / "d", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n",
                                              "1": "pedestrian 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"}))
    assert scan.images == 2 and scan.labels == 2
    assert dict(scan.classes) == {"car": 1, "pedestrian": 1}
    assert all(f.level == "pass" for f in scan.findings)
    assert image_size(tmp_path / "d/image_2/0.png") == (1248, 384)


def test_capitalised_names_are_lower_cased_and_warned(tmp_path):
    scan = scan_kitti(_kitti(tmp_path / "d", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n",
                                              "1": "Pedestrian 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"}))
    assert dict(scan.classes) == {"car": 1, "pedestrian": 1}  # lower-cased, as dataset_convert does
    assert dict(scan.raw_names) == {"car": 1, "Pedestrian": 1}
    (warn,) = [f for f in scan.findings if f.level != "pass"]
    assert warn.level == "warn" and "capitals" in warn.what and "label_2/1.txt line 1" in warn.what


def test_bad_label_lines_and_missing_pairs(tmp_path):
    root = _kitti(tmp_path / "d", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0 0.93\n",  # 16 fields: a prediction
                                   "1": "car 0 0 0 30 2 1 40 0 0 0 0 0 0 0\n"})  # x1 > x2
    (root / "image_2" / "2.png").write_bytes(PNG_1248x384)  # no label
    scan = scan_kitti(root)
    text = "\n".join(str(f) for f in scan.findings)
    assert "label_2/0.txt line 1 has 16 fields" in text and "score column" in text
    assert "1 images have no label file (e.g. image_2/2.png has no label_2/2.txt)" in text
    assert "1 boxes with x1>=x2 or y1>=y2" in text
    nothing = scan_kitti(tmp_path / "nothing")
    assert nothing.findings[0].level == "fail" and "does not exist" in nothing.findings[0].what


def test_class_names_against_the_mapping(tmp_path):
    scan = scan_kitti(_kitti(tmp_path / "d", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"
                                                   "helmet 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"}))
    findings = check_classes(scan, [("Car", "car"), ("truck", "car")])
    text = "\n".join(str(f) for f in findings)
    assert "'Car' has capitals" in text and "0 mAP" in text
    assert "'truck' of the mapping is not in any label file" in text
    assert "helmet (1 objects) are not in the class mapping" in text
    # not a stage that trains: only the capitals fail
    assert [f.level for f in findings if "helmet" in f.what] == ["warn"]


def test_a_mapping_that_misses_the_labels_fails_a_stage_that_trains(tmp_path):
    """Forklift/Person/Pallet labels with NVIDIA's car/cyclist/pedestrian mapping: train and retrain
    fail with the exact `tao-tui set --classes` line; dataset_convert only warns."""
    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data a", n=3)
    root = tmp_path / "my proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0",
                 "--dataset", str(data), "--yes"]) == 0
    project = Project.load(root)
    for stage in ("train", "retrain"):
        fails = [f for f in preflight_stage(project, stage) if f.level == "fail" and "class" in f.what]
        text = "\n".join(str(f) for f in fails)
        assert "labels forklift (2 objects), person (2 objects), pallet (2 objects) are not in the class mapping" in text
        assert "target classes car, cyclist, pedestrian get no labelled objects" in text
        assert f"tao-tui set --classes 'forklift:forklift, person:person, pallet:pallet' --project '{root}'" in text
    convert = preflight_stage(project, "dataset_convert")
    assert not [f for f in convert if f.level == "fail" and "class" in f.what]
    nvidia = [f for f in convert if "NVIDIA's default classes" in f.what]
    assert nvidia and "car, cyclist, pedestrian, person_sitting, van" in nvidia[0].what
    # the fix it prints works, and then nothing about classes is left
    assert main(["set", "--classes", "forklift:forklift, pallet:pallet, person:person", "--project", str(root)]) == 0
    assert not [f for f in preflight_stage(Project.load(root), "train") if "class" in f.what]


def test_a_target_with_no_labels_fails_training_but_merged_sources_pass(tmp_path):
    from tests.datasets import make_kitti

    scan = scan_kitti(make_kitti(tmp_path / "d", n=3))
    ok = check_classes(scan, [("forklift", "forklift"), ("person", "person"), ("pallet", "forklift")], trains=True)
    assert ok == []
    bad = check_classes(scan, [("forklift", "forklift"), ("person", "person"), ("pallet", "pallet"),
                               ("helmet", "helmet")], trains=True)
    assert [f.level for f in bad if "helmet get no labelled objects" in f.what] == ["fail"]
    assert any(f.level == "fail" and "capitals" in f.what
               for f in check_classes(scan, [("forklift", "Forklift"), ("person", "person"), ("pallet", "pallet")],
                                      trains=True))


def test_model_file_signatures(tmp_path):
    hdf5 = tmp_path / "m.hdf5"
    hdf5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 8)
    assert check_model_file(hdf5, key_set=False).level == "pass"
    tlt = tmp_path / "m.tlt"
    tlt.write_bytes(os.urandom(256 << 10))
    assert check_model_file(tlt, key_set=False).level == "fail"
    assert "needs its key" in check_model_file(tlt, key_set=False).what
    assert check_model_file(tlt, key_set=True).level == "pass"


def test_a_model_file_that_is_not_hdf5_or_zip_is_not_called_encrypted_outright(tmp_path):
    """Neither HDF5 nor zip: an encrypted model (needs KEY) or not a model at all (a cut or failed download).
    The message says both, with the size and the download command; a tiny file or a saved HTML/text page is
    no model, key or not."""
    cmd = "ngc registry model download-version nvidia/tao/x:y --dest /p/x"
    tlt = tmp_path / "m.tlt"
    tlt.write_bytes(os.urandom(300 << 10))
    f = check_model_file(tlt, key_set=False, download=cmd)
    assert f.level == "fail" and "not HDF5 or zip" in f.what and str(tlt) in f.what
    assert "encrypted" in f.what and "KEY" in f.what and "download" in f.what and "300 KiB" in f.what
    assert "export KEY=" in f.fix and cmd in f.fix
    for name, data in [("page.hdf5", b"<!DOCTYPE html>\n<html><body>403 Forbidden</body></html>\n" * 900),
                       ("h.tlt", b"\n  <html><head><title>Error</title></head></html>" + b" " * (64 << 10)),
                       ("tiny.tlt", os.urandom(100)),
                       ("text.tlt", b'{"requestStatus": {"statusCode": "UNAUTHORIZED"}}\n' * 2000)]:
        path = tmp_path / name
        path.write_bytes(data)
        for key_set in (False, True):
            f = check_model_file(path, key_set=key_set, download=cmd)
            assert f.level == "fail", (name, key_set)
            assert "not a model" in f.what and "not HDF5 or zip" in f.what and str(path) in f.what
            assert "needs its key" not in f.what and "is encrypted" not in f.what
            assert "bytes" in f.what or "KiB" in f.what
            assert cmd in f.fix and "rm" in f.fix and "KEY" not in f.fix
    # no download command known: still says to download it again
    f = check_model_file(tmp_path / "tiny.tlt", key_set=False)
    assert "download it again" in f.fix


def test_an_hdf5_model_shorter_than_its_header_says_is_cut(tmp_path):
    import struct

    # superblock version 0, 8-byte addresses: base 0, free-space undefined, end of file 1 MiB
    head = (b"\x89HDF\r\n\x1a\n" + bytes([0, 0, 0, 0, 0, 8, 8, 0]) + struct.pack("<HHI", 4, 16, 0)
            + struct.pack("<QQQQ", 0, (1 << 64) - 1, 1 << 20, (1 << 64) - 1))
    cut = tmp_path / "cut.hdf5"
    cut.write_bytes(head + b"\0" * (20 << 10))
    f = check_model_file(cut, key_set=True, download="ngc registry model download-version a:b --dest d")
    assert f.level == "fail" and "cut short" in f.what and "1.0 MiB" in f.what and "20 KiB" in f.what
    assert "ngc registry model download-version a:b" in f.fix
    whole = tmp_path / "whole.hdf5"
    whole.write_bytes(head + b"\0" * ((1 << 20) - len(head)))
    assert check_model_file(whole, key_set=False).level == "pass"


def test_a_broken_pretrained_model_gives_the_ngc_command(tmp_path, monkeypatch):
    root = _project(tmp_path)
    model = root / "detectnet_v2/pretrained_resnet18/pretrained_detectnet_v2_vresnet18/resnet18.hdf5"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"<html><body>Access denied</body></html>\n")
    findings = preflight_stage(Project.load(root), "train")
    fail = [f for f in findings if f.level == "fail"]
    assert len(fail) == 1 and "not a model" in fail[0].what
    assert "ngc registry model download-version nvidia/tao/pretrained_detectnet_v2:resnet18 --dest " in fail[0].fix


def _project(tmp_path: Path) -> Path:
    assert main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / "p"), "--tao-version", "5.0.0",
                 "--dataset", str(_kitti(tmp_path / "data", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"})),
                 "--classes", "car:car", "--yes"]) == 0
    return tmp_path / "p"


def test_missing_pretrained_model_gives_the_ngc_command(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    findings = preflight_stage(Project.load(root), "train")
    fail = [f for f in findings if f.level == "fail"]
    assert len(fail) == 1
    assert "ngc registry model download-version nvidia/tao/pretrained_detectnet_v2:resnet18 --dest " in fail[0].fix
    assert str(root / "detectnet_v2/pretrained_resnet18") in fail[0].fix
    # `tao-tui run train` stops before touching any container, and says how to fix it
    assert main(["run", "train", "--project", str(root)]) == 1
    err = capsys.readouterr().err
    assert "pretrained model not found" in err and "--skip-checks" in err


def test_pretrained_model_is_fetched_when_the_ngc_cli_is_installed(tmp_path, monkeypatch):
    root = _project(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_ngc = bin_dir / "ngc"  # a stand-in for NVIDIA's CLI: makes <dest>/<model>_v<version>/<file>
    fake_ngc.write_text("#!/bin/sh\nd=\"$6/pretrained_detectnet_v2_vresnet18\"\nmkdir -p \"$d\"\n"
                        "printf '\\211HDF\\r\\n\\032\\n0000' > \"$d/resnet18.hdf5\"\n")
    fake_ngc.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    from tao_tui.runtime.runner import preflight_gate

    preflight_gate(Project.load(root), "train", key_set=False)  # raises if the model is still missing
    assert (root / "detectnet_v2/pretrained_resnet18/pretrained_detectnet_v2_vresnet18/resnet18.hdf5").is_file()


def test_network_input_size_against_stride_and_images(tmp_path):
    from tao_tui.preflight import check_input_size
    from tao_tui.specs import parse_spec

    scan = scan_kitti(_kitti(tmp_path / "d", {"0": "car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n"}))
    assert scan.sizes.most_common(1)[0][0] == (1248, 384)
    spec = "augmentation_config {\n  preprocessing {\n    output_image_width: 1250\n    output_image_height: 384\n  }\n}\n"
    text = "\n".join(str(f) for f in check_input_size(parse_spec(spec, "prototxt", "t.txt"), scan, stride=16))
    assert "output_image_width is 1250, not a multiple of 16" in text and "use 1248 or 1264" in text
    assert "your images are 1248x384 but the spec trains at 1250x384" in text
    good = parse_spec(spec.replace("1250", "1248"), "prototxt", "t.txt")
    assert check_input_size(good, scan, stride=16) == []


def test_doctor_reports_the_projects_preflight(tmp_path, monkeypatch):
    from tao_tui.commands.doctor import _project_checks

    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    checks = _project_checks(str(_project(tmp_path)))
    assert any(c.status == "fail" and "pretrained model not found" in c.detail and "ngc registry" in c.fix
               for c in checks)
    assert any(c.status == "pass" and c.detail.startswith("dataset (KITTI: image_2 + label_2): 1 images") for c in checks)


def test_inference_images_must_exist(tmp_path, monkeypatch):
    from tao_tui.preflight import check_input_images

    root = _project(tmp_path)
    text = "\n".join(str(f) for f in check_input_images(Project.load(root), "inference"))
    assert "inference reads images from /workspace/tao-experiments/data/testing/image_2" in text
    assert "missing or empty" in text
    test_dir = tmp_path / "data" / "testing" / "image_2"
    test_dir.mkdir(parents=True)
    (test_dir / "1.png").write_bytes(PNG_1248x384)
    assert check_input_images(Project.load(root), "inference") == []
    assert check_input_images(Project.load(root), "train") == []  # no -i


def test_doctor_prints_the_dataset_summary(tmp_path, monkeypatch, capsys):
    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data", n=2, layout="splits")
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0",
                 "--dataset", str(data), "--classes", "forklift:forklift,person:person,pallet:forklift",
                 "--yes"]) == 0
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    main(["doctor", "--project", str(root)])
    out = capsys.readouterr().out
    scan = scan_kitti(data)
    assert "\n".join(scan.summary_lines()) in out  # the same lines the wizard shows
    assert "train/images + train/labels, val/images + val/labels" in out
    assert "objects per class: person 4, forklift 2, pallet 2" in out
    assert "not in the class mapping" not in out and "no labelled objects" not in out  # mapping matches


def test_one_kitti_folder_pair_needs_no_fix(tmp_path):
    """images + labels at the dataset's top: the project's converter spec already reads them."""
    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data", n=2, layout="images")
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0", "--dataset",
                 str(data), "--classes", "forklift:forklift,person:person,pallet:pallet", "--yes"]) == 0
    assert not [f for f in preflight_stage(Project.load(root), "dataset_convert") if f.level == "fail"]


@pytest.mark.parametrize("layout", ["splits"])
def test_kitti_config_against_the_dataset_and_its_exact_fix(tmp_path, monkeypatch, layout):
    """NVIDIA's converters write train/images + train/labels; the starter-kit spec reads
    training/image_2 + training/label_2: dataset_convert fails before any container, and the
    printed `tao-tui set` line points the spec at the folders found."""
    import shlex

    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data", n=2, layout=layout)
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0", "--dataset",
                 str(data), "--classes", "forklift:forklift,person:person,pallet:pallet", "--yes"]) == 0
    (fail,) = [f for f in preflight_stage(Project.load(root), "dataset_convert") if f.level == "fail"]
    assert "dataset_convert reads /workspace/tao-experiments/data" in fail.what and "does not exist" in fail.what
    words = "train/images + train/labels, val/images + val/labels" if layout == "splits" else "images + labels"
    assert f"your dataset has {words}" in fail.fix
    cmd = fail.fix[fail.fix.index("tao-tui set "):].split(" (the other splits")[0]
    assert main(shlex.split(cmd)[1:]) == 0
    findings = preflight_stage(Project.load(root), "dataset_convert")
    assert not [f for f in findings if f.level == "fail"]
    train = (root / "specs/detectnet_v2_train_resnet18_kitti.txt").read_text()
    want = "/workspace/tao-experiments/data" + ("/train" if layout == "splits" else "")
    assert f'image_directory_path: "{want}"' in train


def test_image_extension_the_spec_reads_must_exist(tmp_path):
    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data", n=2)
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0", "--dataset",
                 str(data), "--classes", "forklift:forklift,person:person,pallet:pallet", "--yes"]) == 0
    for png in (data / "training/image_2").iterdir():  # the dataset changed after the project was made
        png.rename(png.with_suffix(".jpg"))
    fails = [f for f in preflight_stage(Project.load(root), "dataset_convert") if f.level == "fail"]
    assert any("reads only *.png images" in f.what and "(it has .jpg)" in f.what for f in fails)


def test_kitti_dontcare_is_never_a_class_to_map(tmp_path):
    """Real KITTI labels hold DontCare regions: not prefilled, not required in the mapping."""
    from tao_tui.dataset import default_mapping
    from tests.datasets import make_kitti

    scan = scan_kitti(make_kitti(tmp_path / "d", classes=("Car", "DontCare"), n=4))
    assert scan.classes["dontcare"] == 4
    assert default_mapping(scan) == [("car", "car")]
    assert check_classes(scan, [("car", "car")], trains=True) == []
    assert "dontcare: regions KITTI marks as not labelled" in "\n".join(scan.summary_lines())


def test_coco_categories_match_as_written(tmp_path):
    from tao_tui.dataset import scan_dataset
    from tests.datasets import make_coco

    scan = scan_dataset(make_coco(tmp_path / "c", categories=("Forklift", "person"), n=4))
    assert dict(scan.classes) == {"Forklift": 2, "person": 2}
    assert check_classes(scan, [("Forklift", "Forklift"), ("person", "person")], trains=True) == []
    fails = [f for f in check_classes(scan, [("forklift", "forklift"), ("person", "person")], trains=True)
             if f.level == "fail"]
    assert any("Forklift (2 objects) are not in the class mapping" in f.what for f in fails)


def test_summary_of_a_dataset_with_no_layout_says_why(tmp_path):
    (tmp_path / "d" / "pics").mkdir(parents=True)
    lines = "\n".join(scan_kitti(tmp_path / "d").summary_lines())
    assert "no accepted layout found" in lines and "FAIL no KITTI dataset layout" in lines
    assert "training/image_2 + training/label_2" in lines and "problems: none" not in lines


def test_spec_inputs_inside_the_dataset_must_exist(tmp_path):
    """The dataset is mounted read-only: a spec value under it is an input, so it must be there. A safe
    value that misses fails with its `tao-tui set` line; following it clears the failure."""
    import shlex

    from tao_tui.preflight import check_data_paths
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import load_network
    from tests.datasets import make_kitti

    data = make_kitti(tmp_path / "data", n=2, layout="image_2")  # no training/ folder
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0", "--dataset",
                 str(data), "--classes", "forklift:forklift,person:person,pallet:pallet", "--yes"]) == 0
    train = "detectnet_v2_train_resnet18_kitti.txt"
    set_path = f"{train}:dataset_config.data_sources.image_directory_path"
    assert main(["set", "--project", str(root), f"{set_path}=/workspace/tao-experiments/data/elsewhere"]) == 0
    project = Project.load(root)
    params = {(p.spec, p.path) for p in load_network("detectnet_v2").safe_params if p.type == "path"}
    (fail,) = check_data_paths(project, {train: load_spec(root / "specs" / train)}, params)
    assert fail.level == "fail" and "elsewhere does not exist" in fail.what
    assert any(f.what == fail.what for f in preflight_stage(project, "train"))
    cmd = fail.fix[fail.fix.index("tao-tui set"):].replace("<the path under your dataset>", "")
    assert main(shlex.split(cmd)[1:]) == 0
    assert check_data_paths(Project.load(root), {train: load_spec(root / "specs" / train)}, params) == []
    # a glob matches what is there
    (data / "tfrecords").mkdir()
    (data / "tfrecords" / "x-fold-000").write_text("")
    assert main(["set", "--project", str(root), f"{set_path}=/workspace/tao-experiments/data/tfrecords/*"]) == 0
    assert check_data_paths(Project.load(root), {train: load_spec(root / "specs" / train)}, params) == []


def test_specs_and_results_the_container_user_cannot_use_fail_with_the_quoted_fix(tmp_path, monkeypatch):
    """Issue 9 #11: `new --user 1000:1000`; a spec left 0600 root's and a results/ only root can write
    (simulating tao-tui run by someone else than root for the results check): each a fail whose fix is
    the exact chmod/chown line, quoted for a path with a space and a `;`."""
    import shlex

    from tao_tui.preflight import check_container_access, preflight

    root = tmp_path / "my proj; touch PWNED #"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0",
                 "--user", "1000:1000", "--yes"]) == 0
    project = Project.load(root)
    assert check_container_access(project) == []  # as made: specs 0644, results/ the runner's to give
    spec = root / "specs" / "detectnet_v2_train_resnet18_kitti.txt"
    os.chown(spec, 0, 0)
    os.chmod(spec, 0o600)
    (root / "results").chmod(0o755)
    os.chown(root / "results", 0, 0)
    fails = [f for f in preflight(project) if f.level == "fail" and "container's user" in f.what]
    assert len(fails) == 1 and str(spec) in fails[0].what and "1000:1000" in fails[0].what
    assert shlex.split(fails[0].fix) == ["chmod", "a+r", str(spec)]
    stage = [f for f in preflight_stage(project, "train") if "container's user" in f.what]
    assert [f.fix for f in stage] == [fails[0].fix]
    assert not [f for f in preflight_stage(project, "inference") if "container's user" in f.what]

    monkeypatch.setattr(os, "geteuid", lambda: 4242)  # not root: nobody gives results/ to the user
    fails = [f for f in preflight(project) if f.level == "fail" and "cannot write" in f.what]
    assert len(fails) == 1 and str(root / "results") in fails[0].what
    assert shlex.split(fails[0].fix) == ["sudo", "chown", "-R", "1000:1000", str(root / "results")]
    # a stage's results folder not made yet: the runner makes it as the caller (4242 here), 0777 & ~umask
    monkeypatch.setattr("tao_tui.preflight._umask", lambda: 0o022)
    made = [f for f in preflight_stage(project, "train") if "could not write" in f.what]
    assert len(made) == 1 and str(root / "results" / "train") in made[0].what
    q = shlex.quote(str(root / "results" / "train"))
    assert made[0].fix.startswith(f"mkdir -p {q} && chmod a+rwx {q} ")
    monkeypatch.setattr("tao_tui.preflight._umask", lambda: 0o000)
    assert not [f for f in preflight_stage(project, "train") if "could not write" in f.what]
    os.chmod(spec, 0o644)
    (root / "results").chmod(0o777)
    assert check_container_access(project) == []
