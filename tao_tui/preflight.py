"""Pre-flight checks of a project before any container starts (shared by doctor, TUI, prompts).

Checks what a beginner gets wrong and TAO reports late or never: the KITTI dataset
(15 fields a line, image/label pairs, lower-case class names vs the class mapping,
image sizes vs the network input), every spec path reachable through a mount, and the
pretrained model present (with the exact NGC command to fetch it).
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tao_tui.errors import UserError
from tao_tui.project import CONTAINER_DATA, CONTAINER_ROOT, Project

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
HDF5_SIG = b"\x89HDF\r\n\x1a\n"
ZIP_SIG = b"PK\x03\x04"
MAX_LABEL_FILES = 20000  # a bounded scan keeps pre-flight fast on big datasets


@dataclass
class Finding:
    level: str  # pass | warn | fail
    what: str
    fix: str | None = None
    download: tuple[str, Path] | None = None  # (NGC model, dest folder) tao-tui can fetch for the user

    def __str__(self) -> str:
        text = f"[{self.level}] {self.what}"
        return text + (f"\n        fix: {self.fix}" if self.fix else "")


@dataclass
class DatasetScan:
    images: int = 0
    labels: int = 0
    classes: Counter = field(default_factory=Counter)
    raw_names: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    sizes: Counter = field(default_factory=Counter)  # (width, height) of a sample of the images


def _find_kitti_dirs(root: Path) -> tuple[Path, Path] | None:
    for base in (root, root / "training"):
        for img, lab in (("image_2", "label_2"), ("images", "labels")):
            if (base / img).is_dir() and (base / lab).is_dir():
                return base / img, base / lab
    return None


def scan_kitti(root: Path) -> DatasetScan:
    """Every label line has 15 fields, boxes are x1<x2 and y1<y2, and images pair with labels."""
    scan = DatasetScan()
    dirs = _find_kitti_dirs(root)
    if dirs is None:
        scan.findings.append(Finding(
            "fail", f"no KITTI layout in {root} (expected image_2/ and label_2/, or training/image_2 and training/label_2)",
            "put images in <dataset>/image_2 and one <name>.txt label file per image in <dataset>/label_2"))
        return scan
    img_dir, lab_dir = dirs
    images = {p.stem: p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS}
    labels = {p.stem: p for p in lab_dir.iterdir() if p.suffix == ".txt"}
    scan.images, scan.labels = len(images), len(labels)
    no_label = sorted(set(images) - set(labels))
    no_image = sorted(set(labels) - set(images))
    if no_label:
        scan.findings.append(Finding("fail", f"{len(no_label)} images have no label file (e.g. {images[no_label[0]].name})",
                                     f"add {lab_dir}/{no_label[0]}.txt, or remove the image"))
    if no_image:
        scan.findings.append(Finding("warn", f"{len(no_image)} label files have no image (e.g. {no_image[0]}.txt)",
                                     "check the image extension and the file names"))
    exts = Counter(p.suffix for p in images.values())
    if len(exts) > 1:
        scan.findings.append(Finding("warn", f"mixed image extensions {dict(exts)}: TAO reads one extension only",
                                     "convert the images to one format"))
    bad_fields = bad_boxes = 0
    first_bad = None
    for i, (_stem, path) in enumerate(sorted(labels.items())):
        if i >= MAX_LABEL_FILES:
            break
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 15:
                bad_fields += 1
                first_bad = first_bad or f"{path.name} line {n} has {len(parts)} fields"
                continue
            scan.raw_names.add(parts[0])
            scan.classes[parts[0].lower()] += 1
            try:
                x1, y1, x2, y2 = (float(v) for v in parts[4:8])
            except ValueError:
                bad_fields += 1
                first_bad = first_bad or f"{path.name} line {n}: the box is not 4 numbers"
                continue
            if x1 >= x2 or y1 >= y2:
                bad_boxes += 1
    if bad_fields:
        scan.findings.append(Finding("fail", f"{bad_fields} label lines are not KITTI ({first_bad}; KITTI needs 15 fields)",
                                     "write: class truncated occluded alpha x1 y1 x2 y2 h w l x y z rot_y; "
                                     "a 16th field is usually a score column from a detector's output"))
    if bad_boxes:
        scan.findings.append(Finding("warn", f"{bad_boxes} boxes have x1>=x2 or y1>=y2 and will be dropped silently",
                                     "are your labels x,y,w,h? KITTI wants x1 y1 x2 y2 in pixels"))
    sizes = Counter(s for s in (image_size(p) for p in list(images.values())[:200]) if s)
    scan.sizes = sizes
    if sizes:
        scan.findings.append(Finding("pass", "image sizes: " + ", ".join(f"{w}x{h} ({c})" for (w, h), c in sizes.most_common(3))))
    if not scan.findings or all(f.level == "pass" for f in scan.findings):
        scan.findings.append(Finding("pass", f"dataset: {scan.images} images, {scan.labels} label files, "
                                             f"classes {dict(scan.classes.most_common())}"))
    return scan


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the PNG/JPEG header, without decoding the image."""
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n"):
                return struct.unpack(">II", head[16:24])
            if head[:2] == b"\xff\xd8":
                fh.seek(2)
                while True:
                    marker = fh.read(2)
                    if len(marker) < 2 or marker[0] != 0xFF:
                        return None
                    if marker[1] in (0xC0, 0xC1, 0xC2):
                        data = fh.read(7)
                        h, w = struct.unpack(">HH", data[3:7])
                        return w, h
                    (length,) = struct.unpack(">H", fh.read(2))
                    fh.seek(length - 2, 1)
    except (OSError, struct.error):
        return None
    return None


def check_classes(scan: DatasetScan, mapping: list[tuple[str, str]]) -> list[Finding]:
    out = []
    for src, _ in mapping:
        if src != src.lower():
            out.append(Finding("fail", f"class '{src}' has capitals: TAO lower-cases label names, so it never matches "
                                       "and that class trains to 0 mAP", f"use '{src.lower()}'"))
        elif scan.classes and src not in scan.classes:
            out.append(Finding("warn", f"class '{src}' of the mapping is not in any label file",
                               f"labels have: {', '.join(sorted(scan.classes))}"))
    unmapped = sorted(set(scan.classes) - {s.lower() for s, _ in mapping})
    if unmapped:
        counts = ", ".join(f"{n} ({scan.classes[n]} boxes)" for n in unmapped[:5])
        out.append(Finding("warn", f"labels {counts} are not in the class mapping and will be ignored",
                           "add them with --classes name:target if you want them trained"))
    return out


OUTPUT_W, OUTPUT_H = "output_image_width", "output_image_height"


def check_input_size(doc, scan: DatasetScan | None, *, stride: int | None) -> list[Finding]:
    """The network input size of a spec vs the feature stride and the dataset's image sizes (S7)."""
    found: dict[str, tuple[str, int]] = {}
    auto_resize = False
    for path, value in doc.leaves():
        name = path.rsplit(".", 1)[-1]
        if name in (OUTPUT_W, OUTPUT_H) and isinstance(value, int) and name not in found:
            found[name] = (path, value)
        elif name == "enable_auto_resize" and value is True:
            auto_resize = True
    if len(found) < 2:
        return []
    (wpath, w), (hpath, h) = found[OUTPUT_W], found[OUTPUT_H]
    out = []
    if stride:
        for path, v in ((wpath, w), (hpath, h)):
            if v % stride:
                out.append(Finding("fail", f"{path} is {v}, not a multiple of {stride} (the network's stride)",
                                   f"use {v - v % stride} or {v - v % stride + stride}"))
    if scan and scan.sizes and not auto_resize:
        (iw, ih), _ = scan.sizes.most_common(1)[0]
        if (iw, ih) != (w, h):
            out.append(Finding("warn", f"your images are {iw}x{ih} but the spec trains at {w}x{h}, and "
                                       "enable_auto_resize is off", "turn on enable_auto_resize in the train spec "
                                       "(an expert unlock) or resize the images offline"))
    return out


def check_model_file(path: Path, *, key_set: bool) -> Finding:
    """A pretrained/input model: present, non-empty, and readable without a key or not."""
    if not path.is_file() or path.stat().st_size == 0:
        return Finding("fail", f"model file {path} is missing or empty")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(HDF5_SIG) or head.startswith(ZIP_SIG):
        return Finding("pass", f"model file {path.name} ({path.stat().st_size // 1024} KiB)")
    if not key_set:
        return Finding("fail", f"{path.name} is encrypted (not HDF5 or zip), so TAO needs its key",
                       "export KEY=<the key from the model card, often tlt_encode>")
    return Finding("pass", f"model file {path.name} is encrypted; the key in $KEY will be used")


def ngc_download_command(ngc: str, dest: Path) -> list[str]:
    return ["ngc", "registry", "model", "download-version", ngc, "--dest", str(dest)]


def check_pretrained(project: Project, *, key_set: bool) -> list[Finding]:
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import load_network

    net = load_network(project.network)
    pre = net.pretrained
    if not pre or not pre.spec or not pre.path:
        return []
    spec_file = project.specs_dir / pre.spec
    if not spec_file.is_file():
        return [Finding("fail", f"spec {pre.spec} is missing from the project", "recreate the project")]
    cpath = str(load_spec(spec_file).get(pre.path))
    try:
        host = project.to_host(cpath)
    except UserError as err:
        return [Finding("fail", str(err.message), err.fix)]
    if host.is_file():
        return [check_model_file(host, key_set=key_set)]
    # the NGC CLI makes <dest>/<model>_v<version>/<file>
    dest = host.parent.parent if re.search(r"_v[^/]+$", host.parent.name) else host.parent
    cmd = " ".join(ngc_download_command(pre.ngc, dest))
    return [Finding("fail", f"pretrained model not found: {host} (the spec names {cpath})",
                    f"download it: {cmd}", download=(pre.ngc, dest))]


def check_spec_paths(project: Project, docs: dict, path_params: set[tuple[str, str]] = frozenset()) -> list[Finding]:
    """Every /workspace path in the specs, and every absolute value of a safe *path* parameter
    (dataset folders, annotation files), maps through a mount to the host (pitfall M5: a path that
    is not mounted does not exist inside the container)."""
    out = []
    for name, doc in docs.items():
        for path, value in doc.leaves():
            if not isinstance(value, str) or not value.startswith("/"):
                continue
            if not value.startswith("/workspace/") and (name, _canonical(path)) not in path_params:
                continue
            try:
                project.to_host(value)
            except UserError:
                out.append(Finding(
                    "fail", f"{name}: {path} = {value} is not inside any folder mounted into the container",
                    f"point it under {CONTAINER_DATA} (your dataset) or {CONTAINER_ROOT} (the project): "
                    f"`tao-tui set '{path}=<path>'` or ✎ in the wizard; or add a mount for it"))
    return out


def _canonical(path: str) -> str:
    return path.replace("[0]", "")


def preflight(project: Project, *, key_set: bool = False) -> list[Finding]:
    """Every check for ``project``; nothing here starts a container."""
    from tao_tui.specs import load_spec

    findings: list[Finding] = []
    docs = {p.name: load_spec(p) for p in sorted(project.specs_dir.glob("*")) if p.is_file()}
    findings += check_spec_paths(project, docs)
    if project.dataset:
        scan = scan_kitti(Path(project.dataset))
        findings += scan.findings
        for doc in docs.values():
            mapping_path = "dataset_config.target_class_mapping"
            if doc.format == "prototxt" and doc.has(mapping_path):
                findings += check_classes(scan, doc.get_mapping(mapping_path))
                break
    else:
        findings.append(Finding("warn", "no dataset folder set for this project",
                                "pass --dataset DIR to `tao-tui new` (or set dataset: in project.yaml)"))
    findings += check_pretrained(project, key_set=key_set)
    return findings


def preflight_stage(project: Project, stage_id: str, *, key_set: bool = False) -> list[Finding]:
    """The checks that matter before ``stage_id`` starts (run by `tao-tui run` and the TUI)."""
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import load_network

    net = load_network(project.network)
    stage = net.stage(stage_id)
    findings: list[Finding] = []
    if stage.spec and (project.specs_dir / stage.spec).is_file():
        doc = load_spec(project.specs_dir / stage.spec)
        path_params = {(p.spec, _canonical(p.path)) for p in net.safe_params if p.type == "path"}
        findings += check_spec_paths(project, {stage.spec: doc}, path_params)
    if stage.task == "dataset_convert" and project.dataset:
        scan = scan_kitti(Path(project.dataset))
        findings += scan.findings
        for spec in net.spec_files:
            if (project.specs_dir / spec).is_file() and spec.endswith(".txt"):
                findings += check_input_size(load_spec(project.specs_dir / spec), scan,
                                             stride=16 if net.task_name == "detectnet_v2" else None)
        for spec in net.spec_files:
            path = project.specs_dir / spec
            if path.is_file():
                doc = load_spec(path)
                if doc.format == "prototxt" and doc.has("dataset_config.target_class_mapping"):
                    findings += check_classes(scan, doc.get_mapping("dataset_config.target_class_mapping"))
                    break
    if net.pretrained and stage.spec and stage.spec == net.pretrained.spec:
        findings += check_pretrained(project, key_set=key_set)
    findings += check_input_images(project, stage_id)
    return findings


def check_input_images(project: Project, stage_id: str) -> list[Finding]:
    """The images a stage reads from its command line (`-i DIR`, e.g. inference) must exist."""
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.stages import Pipeline

    try:
        args = build_command(Pipeline.for_project(project), stage_id, have_key=True).args
    except UserError:
        return []  # the command itself reports its problem when the stage starts
    out = []
    for flag, value in zip(args, args[1:], strict=False):
        if flag not in ("-i", "--image_dir"):
            continue
        try:
            host = project.to_host(value)
        except UserError as err:
            out.append(Finding("fail", f"{stage_id} reads images from {value}: {err.message}", err.fix))
            continue
        if not host.exists() or (host.is_dir() and not any(host.iterdir())):
            out.append(Finding("fail", f"{stage_id} reads images from {value}, but {host} is missing or empty",
                               f"put the images to run on in {host}"))
    return out


def failures(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "fail"]
