"""The dataset scan (tao_tui.dataset): every accepted layout, each problem kind counted with an example
and a fix, COCO JSON, progress, cancel and bounded work."""

from __future__ import annotations

import json
import threading

import pytest

from tao_tui import dataset as ds
from tao_tui.dataset import data_format, default_mapping, scan_dataset
from tao_tui.errors import UserError
from tests.datasets import kitti_line, make_coco, make_kitti, png_bytes


@pytest.mark.parametrize(("layout", "words", "splits"), [
    ("training", "training/image_2 + training/label_2", ["training"]),
    ("image_2", "image_2 + label_2", []),
    ("images", "images + labels", []),
    ("splits", "train/images + train/labels, val/images + val/labels", ["train", "val"]),
])
def test_every_kitti_layout(tmp_path, layout, words, splits):
    root = make_kitti(tmp_path / "d", n=3, layout=layout)
    scan = scan_dataset(root)
    per_split = len(splits) or 1
    assert (scan.format, scan.layout, scan.splits) == ("kitti", words, splits)
    assert scan.images == scan.labels == 3 * per_split
    assert dict(scan.classes) == {"forklift": 2 * per_split, "person": 2 * per_split, "pallet": 2 * per_split}
    assert dict(scan.raw_names) == {"Forklift": 2 * per_split, "Person": 2 * per_split, "Pallet": 2 * per_split}
    assert dict(scan.sizes) == {(64, 48): 3 * per_split}
    assert [p.kind for p in scan.problems] == ["capitalised"]  # TAO lower-cases them
    lines = "\n".join(scan.summary_lines())
    assert words in lines and f"forklift {2 * per_split}" in lines and "64x48" in lines and "capitals" in lines


def test_split_layout_with_image_2_folders(tmp_path):
    for split in ("train", "val"):
        make_kitti(tmp_path / "d" / split, n=2, layout="image_2")
    scan = scan_dataset(tmp_path / "d")
    assert scan.layout == "train/image_2 + train/label_2, val/image_2 + val/label_2"
    assert scan.splits == ["train", "val"] and scan.images == 4


def test_no_layout_lists_every_accepted_layout(tmp_path):
    (tmp_path / "d" / "pics").mkdir(parents=True)
    with pytest.raises(UserError) as err:
        scan_dataset(tmp_path / "d")
    assert err.value.field == "dataset" and "it holds: pics" in err.value.message
    for accepted in ("training/image_2 + training/label_2", "image_2 + label_2", "images + labels",
                     "<split>/images + <split>/labels", "annotations/*.json"):
        assert accepted in err.value.fix
    with pytest.raises(UserError, match="does not exist"):
        scan_dataset(tmp_path / "missing")


def test_each_problem_kind_is_counted_once_with_an_example_and_a_fix(tmp_path):
    root = make_kitti(tmp_path / "d", classes=("car",), n=4, layout="image_2")
    (root / "label_2/000000.txt").write_text(
        kitti_line("car") + " 0.93\n"                         # 16 fields: a score column
        + kitti_line("car", (30, 4, 10, 40)) + "\n"           # x1 > x2
        + kitti_line("car", (10.2, 4, 10.8, 40)) + "\n"       # same pixel once truncated: dropped by TAO
        + "car 0 0 0 a b c d 0 0 0 0 0 0 0\n")                # not numbers
    (root / "image_2/extra.jpg").write_bytes(png_bytes())      # another extension, and no label
    (root / "label_2/orphan.txt").write_text(kitti_line("car") + "\n")
    scan = scan_dataset(root)
    got = {p.kind: (p.level, p.count) for p in scan.problems}
    assert got == {"bad_fields": ("fail", 1), "not_numeric": ("fail", 1), "inverted_box": ("warn", 2),
                   "no_label": ("fail", 1), "no_image": ("warn", 1), "mixed_ext": ("warn", 1)}
    assert scan.problem("bad_fields").example == "label_2/000000.txt line 1 has 16 fields"
    assert scan.problem("no_label").example == "image_2/extra.jpg has no label_2/extra.txt"
    assert all(p.fix and p.what for p in scan.problems)
    assert {f.level for f in scan.findings} == {"fail", "warn", "pass"}
    text = "\n".join(scan.summary_lines())
    assert "FAIL 1 label lines without the 15 KITTI fields" in text and "e.g. label_2/000000.txt line 1" in text


def test_coco_counts_categories_and_missing_images(tmp_path):
    root = make_coco(tmp_path / "c", n=5, missing=2)
    scan = scan_dataset(root)
    assert scan.format == "coco" and scan.images == 5 and scan.labels == 5
    assert dict(scan.classes) == {"forklift": 2, "person": 2, "pallet": 1}
    assert scan.layout == "annotations/instances.json + images in images"
    missing = scan.problem("no_image")
    assert missing.level == "fail" and missing.count == 2 and "000003.png" in missing.example
    assert dict(scan.sizes) == {(64, 48): 5}
    # the same file given directly, and COCO asked for explicitly
    assert scan_dataset(root / "annotations/instances.json", fmt="coco").images == 5
    with pytest.raises(UserError, match="no KITTI dataset layout"):
        scan_dataset(root, fmt="kitti")


def test_coco_bad_json_and_bad_references(tmp_path):
    root = make_coco(tmp_path / "c", n=2)
    data = json.loads((root / "annotations/instances.json").read_text())
    data["annotations"].append({"id": 9, "image_id": 77, "category_id": 42, "bbox": [1, 1, 0, 5]})
    (root / "annotations/instances.json").write_text(json.dumps(data))
    (root / "annotations/broken.json").write_text('{"images": [')
    scan = scan_dataset(root)
    kinds = {p.kind: p.count for p in scan.problems}
    assert kinds == {"bad_json": 1, "bad_category": 1, "bad_image_id": 1, "bad_box": 1}
    assert scan.problem("bad_json").example.startswith("annotations/broken.json")


def test_progress_is_reported_and_cancel_stops(tmp_path):
    root = make_kitti(tmp_path / "d", n=300, layout="images")
    calls = []
    scan_dataset(root, on_progress=lambda done, total: calls.append((done, total)))
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] == 300 + ds.MAX_SIZE_SAMPLE
    assert len(calls) < 50  # rate-limited, not once a file
    stop = threading.Event()
    stop.set()
    cancelled = scan_dataset(root, cancel=stop)
    assert cancelled.cancelled and cancelled.read == 0 and "cancelled" in "\n".join(cancelled.summary_lines())


def test_huge_datasets_are_sampled_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(ds, "MAX_LABEL_FILES", 10)
    monkeypatch.setattr(ds, "MAX_SIZE_SAMPLE", 5)
    scan = scan_dataset(make_kitti(tmp_path / "d", classes=("car",), n=40, layout="images"))
    assert scan.sampled and scan.read == 10 and scan.labels == 40 and scan.size_sample == 5
    assert sum(scan.classes.values()) == 10
    assert "sampled: objects counted in 10 of 40 label files" in "\n".join(scan.summary_lines())


def test_default_mapping_and_data_format(tmp_path):
    root = make_kitti(tmp_path / "d", classes=("Forklift", "Person", "Pallet"), n=3)
    (root / "training/label_2/000000.txt").write_text(kitti_line("Pallet") + "\n" + kitti_line("Pallet") + "\n")
    scan = scan_dataset(root)
    assert default_mapping(scan) == [("pallet", "pallet"), ("person", "person"), ("forklift", "forklift")]  # ties: first named
    assert data_format("detectnet_v2") == "kitti" and data_format("yolo_v4_tiny") == "kitti"
    assert data_format("dino") == "coco" and data_format("classification_tf2") == "image_folders"
    assert data_format("no_such_net") == "other"


def test_yolo_labels_are_named_as_such(tmp_path):
    root = make_kitti(tmp_path / "d", classes=("car",), n=2, layout="images")
    (root / "labels/000000.txt").write_text("0 0.5 0.5 0.2 0.3\n1 0.1 0.1 0.05 0.05\n")
    scan = scan_dataset(root)
    yolo = scan.problem("yolo_lines")
    assert yolo.level == "fail" and yolo.count == 2 and "labels/000000.txt line 1" in yolo.example
    assert "15 fields" in yolo.fix and scan.problem("bad_fields") is None


def test_image_sizes_no_real_image_has_are_a_problem_of_their_own(tmp_path):
    """A PNG signature with a corrupt header (or a side of 0) is no 2448309888x3830627691 image: counted as
    a problem with an example and a fix, kept out of the size table, never "problems: none found"."""
    import struct

    root = make_kitti(tmp_path / "d", classes=("car",), n=4, layout="image_2")
    (root / "image_2/000001.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 2448309888,
                                                                                              3830627691) + b"\0" * 40)
    (root / "image_2/000002.png").write_bytes(png_bytes(0, 48))
    scan = scan_dataset(root)
    bad = scan.problem("bad_size")
    assert bad is not None and bad.level == "fail" and bad.count == 2
    assert bad.example == "image_2/000001.png: its header says 2448309888x3830627691"
    assert "0" in bad.what and "65,535" in bad.what and bad.fix
    assert dict(scan.sizes) == {(64, 48): 2}
    text = "\n".join(scan.summary_lines())
    assert "problems: none found" not in text and "2448309888" not in text.split("image sizes:")[1].split("\n")[0]
    assert "FAIL 2 " in text and "e.g. image_2/000001.png" in text
    assert any(f.level == "fail" and "2448309888" in f.what for f in scan.findings)
    # COCO: width/height in the JSON
    root = make_coco(tmp_path / "c", n=3)
    data = json.loads((root / "annotations/instances.json").read_text())
    data["images"][0]["width"] = 0
    data["images"][1]["height"] = 70000
    (root / "annotations/instances.json").write_text(json.dumps(data))
    scan = scan_dataset(root)
    bad = scan.problem("bad_size")
    assert bad is not None and bad.count == 2 and bad.example.startswith("annotations/instances.json: ")
    assert "000000.png" in bad.example and "0x48" in bad.example and "width" in bad.fix
    assert dict(scan.sizes) == {(64, 48): 1}
