"""Dataset scan: what a beginner's dataset holds and what TAO will do with it, before any container.

One scan serves the wizard's dataset step, `tao-tui --plain`, pre-flight and `tao-tui doctor --project`:
the layout found (KITTI folders in every form NVIDIA's tools write, or a COCO JSON), counts of images,
label files and objects per class, image sizes, and each *kind* of problem counted once with an example
and a fix. Plain Python; bounded work on huge datasets (a sample, said so).

NVIDIA facts used here (in our words, see /work/shared/reference/datasets.md):
- KITTI label lines have exactly 15 fields; the converter lower-cases the class name (field 1) and skips
  boxes whose x1 >= x2 or y1 >= y2 after truncating to int, without failing
  (NVIDIA/tao_tensorflow1_backend nvidia_tao_tf1/cv/detectnet_v2/dataio/kitti_converter_lib.py).
- Images pair with labels by file stem; one image extension per dataset (``kitti_config.image_extension``).
- NVIDIA's dataset converters (tao_tutorials data_services, "Data Annotation Format" page) write
  ``<base>/<split>/images`` + ``<base>/<split>/labels``; the starter kit uses ``training/image_2`` +
  ``training/label_2``.
- COCO detection JSON: ``images`` (id, file_name, width, height), ``annotations`` (image_id,
  category_id, bbox = [x, y, w, h]), ``categories`` (id, name) (cocodataset.org/#format-data, used by
  TAO's dino, deformable_detr, efficientdet, mask_rcnn ... dataset sections).
"""

from __future__ import annotations

import json
import os
import shlex
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tao_tui.errors import UserError

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
MAX_LABEL_FILES = 20000  # label files read per scan; more are sampled evenly (and the scan says so)
MAX_SIZE_SAMPLE = 200  # image headers read for the size table
MAX_IMAGE_SIDE = 65_535  # JPEG's limit; no real training image is wider or higher (real_size)
MAX_COCO_FILE_CHECKS = 2000  # COCO file_names checked on disk
PROGRESS_INTERVAL_S = 0.05  # on_progress at most ~20 times a second
KITTI_FIELDS = 15

# KITTI's "DontCare" labels mark regions where objects were not labelled (KITTI object devkit readme):
# not a class to train, so never prefilled in a mapping nor required in one
IGNORED_CLASSES = ("dontcare",)
KITTI_PAIRS = (("image_2", "label_2"), ("images", "labels"))
ACCEPTED_KITTI = (
    "training/image_2 + training/label_2",
    "image_2 + label_2",
    "images + labels",
    "<split>/images + <split>/labels (e.g. train/, val/)",
    "<split>/image_2 + <split>/label_2",
)
ACCEPTED_COCO = ("annotations/*.json (COCO: images, annotations, categories)", "a COCO .json file given directly")


@dataclass
class Finding:
    """One pre-flight fact: ``level`` pass | warn | fail, what was found and how to fix it."""

    level: str  # pass | warn | fail
    what: str
    fix: str | None = None
    download: tuple[str, Path] | None = None  # (NGC model, dest folder) tao-tui can fetch for the user

    def __str__(self) -> str:
        text = f"[{self.level}] {self.what}"
        return text + (f"\n        fix: {self.fix}" if self.fix else "")


@dataclass
class Problem:
    """One *kind* of problem in a dataset, counted: ``count`` occurrences, one ``example``."""

    kind: str  # bad_fields, yolo_lines, not_numeric, inverted_box, no_label, no_image, capitalised, mixed_ext, bad_json, ...
    level: str  # fail | warn
    count: int
    example: str  # a file (and line) that shows it, relative to the dataset folder
    what: str  # one line: what is wrong
    fix: str  # one line: how to fix it

    def finding(self) -> Finding:
        return Finding(self.level, f"{self.count} {self.what} (e.g. {self.example})", self.fix)


@dataclass
class DatasetScan:
    """What :func:`scan_dataset` found. Counts are exact unless ``sampled`` (then over ``read`` files)."""

    root: Path
    format: str | None = None  # "kitti" | "coco" | None (nothing recognised)
    layout: str = ""  # e.g. "training/image_2 + training/label_2"
    splits: list[str] = field(default_factory=list)  # split folders (KITTI) or annotation files (COCO)
    images: int = 0
    labels: int = 0  # KITTI: label files; COCO: annotations
    classes: Counter = field(default_factory=Counter)  # objects per class, lower-cased for KITTI (as TAO does)
    raw_names: Counter = field(default_factory=Counter)  # objects per class name as written in the labels
    sizes: Counter = field(default_factory=Counter)  # (width, height) -> images, over a sample
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    read: int = 0  # label files (KITTI) read; < labels when sampled
    sampled: bool = False
    size_sample: int = 0  # images whose size was read
    cancelled: bool = False

    @property
    def objects(self) -> int:
        return sum(self.classes.values())

    def class_counts(self) -> list[tuple[str, int]]:
        """(class, objects) most objects first; ties in the order the labels first name them (files read
        in name order), so a table prefilled from it lists classes as the dataset does. The order of
        :func:`default_mapping`."""
        return sorted(self.classes.items(), key=lambda kv: -kv[1])

    def problem(self, kind: str) -> Problem | None:
        return next((p for p in self.problems if p.kind == kind), None)

    def summary_lines(self) -> list[str]:
        """The dataset summary `tao-tui doctor --project` prints and the wizard shows (plain text lines)."""
        if self.format is None:  # nothing recognised (pre-flight keeps the reason as a finding)
            lines = [f"dataset {self.root}: no accepted layout found"]
            for f in self.findings:
                lines.append(f"  {f.level.upper()} {f.what}")
                if f.fix:
                    lines.append(f"       fix: {f.fix}")
            return lines
        kind = {"kitti": "KITTI", "coco": "COCO"}[self.format]
        lines = [f"dataset {self.root} ({kind}: {self.layout})"]
        if self.splits:
            lines.append(f"  splits: {', '.join(self.splits)}")
        unit = "label files" if self.format == "kitti" else "annotations"
        lines.append(f"  {self.images} images, {self.labels} {unit}, {self.objects} objects")
        if self.sampled:
            lines.append(f"  (sampled: objects counted in {self.read} of {self.labels} label files)")
        if self.cancelled:
            lines.append("  (scan cancelled: the counts are partial)")
        if self.classes:
            per = ", ".join(f"{name} {count}" for name, count in self.class_counts())
            lines.append(f"  objects per class: {per}")
            ignored = [n for n in IGNORED_CLASSES if n in self.classes] if self.format == "kitti" else []
            if ignored:
                lines.append(f"  {', '.join(ignored)}: regions KITTI marks as not labelled, not a class to train")
            written = sorted(n for n in self.raw_names if n not in self.classes)
            if written:
                lines.append(f"  written in the labels as: {', '.join(written)} (TAO lower-cases them)")
        if self.sizes:
            top = ", ".join(f"{w}x{h} ({c})" for (w, h), c in self.sizes.most_common(3))
            more = f" and {len(self.sizes) - 3} more sizes" if len(self.sizes) > 3 else ""
            sample = self.format == "kitti" and self.size_sample < self.images
            lines.append(f"  image sizes: {top}{more}" + (f" (of {self.size_sample} images read)" if sample else ""))
        return lines + self.problem_lines()

    def problem_lines(self) -> list[str]:
        """Each kind of problem: level, count and what, an example, the fix (or "none found")."""
        if not self.problems:
            return ["  problems: none found"]
        lines = []
        for p in self.problems:
            lines += [f"  {p.level.upper()} {p.count} {p.what}", f"       e.g. {p.example}", f"       fix: {p.fix}"]
        return lines


# --------------------------------------------------------------------------- progress


class _Progress:
    """Calls ``on_progress(done, total)`` at most every PROGRESS_INTERVAL_S (always at the end)."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int):
        self.callback, self.total, self.last = callback, total, 0.0

    def __call__(self, done: int, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_INTERVAL_S:
            self.last = now
            self.callback(done, self.total)


# --------------------------------------------------------------------------- layouts


def _dirs(path: Path) -> list[str]:
    try:
        with os.scandir(path) as it:
            return sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def find_kitti_layout(root: Path) -> tuple[list[tuple[str | None, Path, Path]], str] | None:
    """The KITTI folders under ``root``: ([(split or None, image dir, label dir)], layout words), or None.

    ``image_2 + label_2`` / ``images + labels`` at the top win; otherwise every sub-folder holding such
    a pair is a split (``training`` of the KITTI/starter-kit form, ``train``/``val`` of NVIDIA's converters)."""
    for img, lab in KITTI_PAIRS:
        if (root / img).is_dir() and (root / lab).is_dir():
            return [(None, root / img, root / lab)], f"{img} + {lab}"
    found = []
    for sub in _dirs(root):
        for img, lab in KITTI_PAIRS:
            if (root / sub / img).is_dir() and (root / sub / lab).is_dir():
                found.append((sub, root / sub / img, root / sub / lab))
                break
    if not found:
        return None
    words = ", ".join(f"{s}/{i.name} + {s}/{lab.name}" for s, i, lab in found)
    return found, words


def find_coco_files(root: Path) -> list[Path]:
    """COCO annotation JSON files: ``root`` itself (a .json), ``annotations/*.json``, ``*.json`` at the
    top, or ``<split>/*.json`` (e.g. train/_annotations.coco.json). Only files that look like COCO
    (an ``"images"`` key near the start, or unreadable JSON) are returned."""
    if root.is_file():
        return [root] if root.suffix.lower() == ".json" else []
    for pattern in ("annotations/*.json", "*.json", "*/*.json"):
        files = sorted(p for p in root.glob(pattern) if p.is_file() and _looks_coco(p))
        if files:
            return files
    return []


def _looks_coco(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return False
    return b'"images"' in head or b'"annotations"' in head or b'"categories"' in head


def _layout_error(root: Path, fmt: str | None) -> UserError:
    accepted = (ACCEPTED_KITTI if fmt != "coco" else ()) + (ACCEPTED_COCO if fmt != "kitti" else ())
    found = _dirs(root) if root.is_dir() else []
    seen = f" (it holds: {', '.join(found[:8])}{' ...' if len(found) > 8 else ''})" if found else " (it is empty)"
    kind = {"kitti": "KITTI ", "coco": "COCO "}.get(fmt or "", "")
    return UserError(
        f"no {kind}dataset layout found in {root}{seen}",
        "arrange the dataset in one of the accepted layouts: " + "; ".join(accepted),
        field="dataset",
    )


# --------------------------------------------------------------------------- scan


def expand_path(path: Path | str, field: str) -> Path:
    """``~`` / ``~user`` expanded; an unknown user is a UserError naming ``field``, not a RuntimeError."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise UserError(f"{path}: no such user's home folder", "write the full path (e.g. /home/me/data)",
                        field=field) from None


def scan_dataset(
    root: Path,
    *,
    fmt: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> DatasetScan:
    """Scan the dataset at ``root`` (a folder, or a COCO .json file).

    ``fmt``: "kitti" | "coco" | None (detect: KITTI folders first, then COCO JSON).
    ``on_progress(done, total)``: called from the calling thread, at most ~20 times a second and once at
    the end (units: files read). ``cancel``: when set, the scan stops early and ``cancelled`` is True.
    Work is bounded: at most MAX_LABEL_FILES label files are read (sampled evenly, ``sampled`` set)
    and MAX_SIZE_SAMPLE image headers.
    Raises UserError (field "dataset") for a missing or unreadable folder, or when no accepted
    layout is found (the message lists every accepted layout)."""
    root = expand_path(root, "dataset")
    if fmt in NEMO_FORMATS:  # conversational (NeMo) formats: tao_tui/dataset_nemo.py
        return scan_nemo(root, fmt, on_progress=on_progress, cancel=cancel)
    if fmt not in (None, "kitti", "coco"):
        raise UserError(f"unknown dataset format '{fmt}'", "use kitti or coco", field="dataset")
    if not root.exists():
        raise UserError(f"dataset folder {root} does not exist", "pass the folder that holds your images and labels",
                        field="dataset")
    if root.is_dir() and not os.access(root, os.R_OK | os.X_OK):
        raise UserError(f"dataset folder {root} is not readable", f"chmod -R a+rX {shlex.quote(str(root))}", field="dataset")
    if fmt in (None, "kitti") and root.is_dir():
        layout = find_kitti_layout(root)
        if layout is not None:
            return _scan_kitti(root, *layout, on_progress, cancel)
    if fmt in (None, "coco"):
        files = find_coco_files(root)
        if files:
            return _scan_coco(root if root.is_dir() else root.parent, files, on_progress, cancel)
    raise _layout_error(root if root.is_dir() else root.parent, fmt)


def _list(path: Path) -> list[str]:
    with os.scandir(path) as it:
        return [e.name for e in it if not e.name.startswith(".") and e.is_file()]


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class Kinds:
    """Counts each problem kind and keeps its first example."""

    def __init__(self) -> None:
        self.count: Counter = Counter()
        self.example: dict[str, str] = {}

    def add(self, kind: str, example: str, n: int = 1) -> None:
        self.count[kind] += n
        self.example.setdefault(kind, example)


def _scan_kitti(root, pairs, words, on_progress, cancel) -> DatasetScan:
    scan = DatasetScan(root=root, format="kitti", layout=words, splits=[s for s, _, _ in pairs if s])
    kinds = Kinds()
    to_read: list[tuple[Path, str]] = []  # (label file, its path relative to root)
    all_images: list[Path] = []
    exts: Counter = Counter()
    for _split, img_dir, lab_dir in pairs:
        try:
            img_files = _list(img_dir)
            lab_files = _list(lab_dir)
        except OSError as err:
            raise UserError(f"cannot read {err.filename}: {err.strerror}", f"chmod -R a+rX {shlex.quote(str(root))}",
                            field="dataset") from err
        images = {}
        for name in img_files:
            stem, ext = os.path.splitext(name)
            if ext.lower() in IMAGE_EXTS:
                images[stem] = name
                exts[ext] += 1
        labels = {name[:-4]: name for name in lab_files if name.endswith(".txt")}
        scan.images += len(images)
        scan.labels += len(labels)
        rel_img, rel_lab = _rel(img_dir, root), _rel(lab_dir, root)
        for stem in sorted(images.keys() - labels.keys()):
            kinds.add("no_label", f"{rel_img}/{images[stem]} has no {rel_lab}/{stem}.txt")
        for stem in sorted(labels.keys() - images.keys()):
            kinds.add("no_image", f"{rel_lab}/{labels[stem]} has no image {rel_img}/{stem}.<ext>")
        to_read += [(lab_dir / labels[s], f"{rel_lab}/{labels[s]}") for s in sorted(labels)]
        all_images += [img_dir / images[s] for s in sorted(images)]
    if not all_images:
        kinds.add("no_images", f"{_rel(pairs[0][1], root)} holds no {'/'.join(IMAGE_EXTS)} files")

    if len(to_read) > MAX_LABEL_FILES:
        step = len(to_read) / MAX_LABEL_FILES
        to_read = [to_read[int(i * step)] for i in range(MAX_LABEL_FILES)]
        scan.sampled = True
    size_sample = _spread(all_images, MAX_SIZE_SAMPLE)
    progress = _Progress(on_progress, len(to_read) + len(size_sample))
    progress(0, force=True)

    raw: Counter = Counter()
    first_seen: dict[str, str] = {}
    done = 0
    for path, rel in to_read:
        if done & 63 == 0:
            if cancel is not None and cancel.is_set():
                scan.cancelled = True
                break
            progress(done)
        done += 1
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as err:
            kinds.add("unreadable", f"{rel}: {err.strerror}")
            continue
        for n, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != KITTI_FIELDS:
                if len(parts) == 5 and parts[0].isdigit():
                    kinds.add("yolo_lines", f"{rel} line {n}: '{line.strip()[:60]}'")
                else:
                    kinds.add("bad_fields", f"{rel} line {n} has {len(parts)} fields")
                continue
            name = parts[0]
            raw[name] += 1
            if name not in first_seen:
                first_seen[name] = f"{rel} line {n}"
            try:
                x1, y1, x2, y2 = float(parts[4]), float(parts[5]), float(parts[6]), float(parts[7])
            except ValueError:
                kinds.add("not_numeric", f"{rel} line {n}: box '{' '.join(parts[4:8])}'")
                continue
            # the converter truncates to int before its validity check
            if int(x1) >= int(x2) or int(y1) >= int(y2):
                kinds.add("inverted_box", f"{rel} line {n}: x1 y1 x2 y2 = {' '.join(parts[4:8])}")
    scan.read = done
    scan.raw_names = raw
    for name, count in raw.items():
        scan.classes[name.lower()] += count
    capital = sorted(n for n in raw if n != n.lower())
    if capital:
        kinds.add("capitalised", f"'{capital[0]}' in {first_seen[capital[0]]}", sum(raw[n] for n in capital))
    if len(exts) > 1:
        main_ext, _ = exts.most_common(1)[0]
        odd = next(e for e in exts if e != main_ext)
        kinds.add("mixed_ext", f"{', '.join(f'{c} {e}' for e, c in exts.most_common())} (one {odd} file among "
                  f"the {main_ext} files)", sum(c for e, c in exts.items() if e != main_ext))
    if not scan.cancelled:
        for i, img in enumerate(size_sample):
            if i & 15 == 0:
                if cancel is not None and cancel.is_set():
                    scan.cancelled = True
                    break
                progress(done + i)
            size = image_size(img)
            if size and not real_size(*size):
                kinds.add("bad_size", f"{_rel(img, root)}: its header says {size[0]}x{size[1]}")
            elif size:
                scan.sizes[size] += 1
            scan.size_sample += 1
    progress(progress.total, force=True)
    scan.problems = _kitti_problems(kinds, exts)
    bad_size = scan.problem("bad_size")
    if bad_size and scan.size_sample < scan.images:
        bad_size.what += f" (among the {scan.size_sample} of {scan.images} images whose header was read)"
    scan.findings = _findings(scan)
    return scan


def _spread(items: list, n: int) -> list:
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


_KITTI_TEXT = {
    # kind: (level, what, fix)
    "no_images": ("fail", "image folder(s) with no images", "put the images (.png/.jpg) in the image folder"),
    "bad_fields": ("fail", f"label lines without the {KITTI_FIELDS} KITTI fields",
                   "write: class truncated occluded alpha x1 y1 x2 y2 h w l x y z rot_y; a 16th field is usually "
                   "a score column from a detector's output, and a class name with a space splits into two "
                   "fields (write traffic_sign)"),
    "yolo_lines": ("fail", "label lines look like YOLO labels (class id, x y w h as fractions), not KITTI",
                   "convert them to KITTI: class name, 0 0 0, then x1 y1 x2 y2 in pixels, then 7 zeros "
                   "(15 fields a line)"),
    "not_numeric": ("fail", "label lines whose box (fields 5-8) is not 4 numbers",
                    "write the box as x1 y1 x2 y2 in pixels, e.g. 587.01 173.33 614.12 200.12"),
    "inverted_box": ("warn", "boxes with x1>=x2 or y1>=y2: TAO's dataset_convert drops them silently",
                     "are your labels x,y,w,h? KITTI wants x1 y1 x2 y2 in pixels (left top right bottom)"),
    "no_label": ("fail", "images have no label file",
                 "add the label file with the image's name and .txt (empty if it has no objects), or remove "
                 "the image"),
    "no_image": ("warn", "label files have no image", "check the image extension and the file names (000001.png "
                 "pairs with 000001.txt)"),
    "capitalised": ("warn", "objects have class names with capitals: TAO lower-cases them",
                    "use the lower-case names in the class mapping (forklift:forklift for Forklift); the label "
                    "files may stay as they are"),
    "mixed_ext": ("warn", "images have another extension than the rest: TAO reads one extension only",
                  "convert the images to one format (the dataset_convert spec's image_extension names it)"),
    "bad_size": ("fail", f"images whose header gives a size no real image has (a side of 0 or over "
                         f"{MAX_IMAGE_SIDE:,} pixels): a corrupt file, or not the format its name says",
                 "open it in an image viewer; copy or export it again (a cut copy or download leaves such a file), "
                 "or remove it and its label file"),
    "unreadable": ("warn", "label files could not be read", "check the files' permissions (chmod -R a+rX DIR)"),
}
_ORDER = list(_KITTI_TEXT)


def _kitti_problems(kinds: Kinds, exts: Counter) -> list[Problem]:
    out = []
    for kind in sorted(kinds.count, key=_ORDER.index):
        level, what, fix = _KITTI_TEXT[kind]
        out.append(Problem(kind, level, kinds.count[kind], kinds.example[kind], what, fix))
    return out


def _findings(scan: DatasetScan) -> list[Finding]:
    """The same facts as pre-flight Findings: one per problem kind, then the counts as a pass."""
    out = [p.finding() for p in scan.problems]
    per = ", ".join(f"{n} {c}" for n, c in scan.class_counts())
    kind = {"kitti": "KITTI", "coco": "COCO"}.get(scan.format or "", "?")
    out.append(Finding("pass", f"dataset ({kind}: {scan.layout}): {scan.images} images, {scan.labels} "
                               f"{'label files' if scan.format == 'kitti' else 'annotations'}"
                               + (f", objects per class: {per}" if per else "")
                               + (f" (sampled {scan.read} label files)" if scan.sampled else "")))
    if scan.sizes:
        out.append(Finding("pass", "image sizes: " + ", ".join(f"{w}x{h} ({c})" for (w, h), c in
                                                               scan.sizes.most_common(3))))
    return out


# --------------------------------------------------------------------------- COCO


def _scan_coco(root: Path, files: list[Path], on_progress, cancel) -> DatasetScan:
    scan = DatasetScan(root=root, format="coco", splits=[_rel(f, root) for f in files] if len(files) > 1 else [])
    kinds = Kinds()
    texts: dict[str, tuple[str, str, str]] = {}
    progress = _Progress(on_progress, len(files) * (MAX_COCO_FILE_CHECKS + 1))
    progress(0, force=True)
    image_dirs = []
    for fi, path in enumerate(files):
        rel = _rel(path, root)
        if cancel is not None and cancel.is_set():
            scan.cancelled = True
            break
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            kinds.add("bad_json", f"{rel}: {err}")
            continue
        missing_keys = [k for k in ("images", "annotations", "categories")
                        if not isinstance(data, dict) or not isinstance(data.get(k), list)]
        if missing_keys:
            kinds.add("bad_json", f"{rel} has no {', '.join(missing_keys)} list")
            continue
        cats = {c.get("id"): str(c.get("name", c.get("id"))) for c in data["categories"] if isinstance(c, dict)}
        images = {im.get("id"): im for im in data["images"] if isinstance(im, dict)}
        scan.images += len(images)
        scan.labels += len(data["annotations"])
        for im in images.values():
            w, h = im.get("width"), im.get("height")
            if isinstance(w, int) and isinstance(h, int) and not real_size(w, h):
                kinds.add("bad_size", f"{rel}: image {im.get('id')} ({im.get('file_name')}) is {w}x{h}")
            elif isinstance(w, int) and isinstance(h, int):
                scan.sizes[(w, h)] += 1
        scan.size_sample += len(images)
        annotated = set()
        for ann in data["annotations"]:
            if not isinstance(ann, dict):
                kinds.add("bad_annotation", f"{rel}: an annotation is not an object")
                continue
            cid, iid = ann.get("category_id"), ann.get("image_id")
            if cid not in cats:
                kinds.add("bad_category", f"{rel}: annotation {ann.get('id')} has category_id {cid}")
            else:
                scan.raw_names[cats[cid]] += 1
            if iid not in images:
                kinds.add("bad_image_id", f"{rel}: annotation {ann.get('id')} has image_id {iid}")
            annotated.add(iid)
            box = ann.get("bbox")
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
                kinds.add("bad_box", f"{rel}: annotation {ann.get('id')} has bbox {box!r}")
            elif box[2] <= 0 or box[3] <= 0:
                kinds.add("bad_box", f"{rel}: annotation {ann.get('id')} has bbox {box} (width or height <= 0)")
        unlabelled = [im for iid, im in images.items() if iid not in annotated]
        if unlabelled:
            kinds.add("no_label", f"{rel}: {unlabelled[0].get('file_name')}", len(unlabelled))
        # where file_name is relative to: the folder that holds most of a sample of them
        names = [str(im.get("file_name", "")) for im in _spread(list(images.values()), MAX_COCO_FILE_CHECKS)]
        base = _coco_image_dir(root, path, names[:50])
        image_dirs.append(base)
        missing = 0
        for i, name in enumerate(names):
            if i & 63 == 0:
                if cancel is not None and cancel.is_set():
                    scan.cancelled = True
                    break
                progress(fi * (MAX_COCO_FILE_CHECKS + 1) + i)
            if not (base / name).is_file():
                missing += 1
                kinds.example.setdefault("no_image", f"{rel}: {name} is not in {_rel(base, root) or '.'}/")
        if missing:
            kinds.count["no_image"] += missing
            if len(names) < len(images):
                scan.sampled = True
        texts["no_image"] = ("fail", "images listed in the annotations are not on disk"
                             + (" (of a sample)" if len(names) < len(images) else ""),
                             f"put the images under {base} (file_name is read relative to it) or fix file_name")
    for name, count in scan.raw_names.items():
        scan.classes[name] += count
    scan.read = len(files)
    dirs = sorted({_rel(d, root) or "." for d in image_dirs})
    scan.layout = ", ".join(_rel(f, root) for f in files) + (f" + images in {', '.join(dirs)}" if dirs else "")
    progress(progress.total, force=True)
    scan.problems = _coco_problems(kinds, texts)
    scan.findings = _findings(scan)
    return scan


def _coco_image_dir(root: Path, ann: Path, names: list[str]) -> Path:
    split = ann.stem.split("_", 1)[-1]  # instances_train2017 -> train2017
    candidates = [ann.parent, ann.parent.parent, root, root / "images", root / "images" / split, root / split,
                  ann.parent.parent / "images"]
    best, hits = candidates[0], -1
    for cand in dict.fromkeys(candidates):
        n = sum((cand / name).is_file() for name in names if name)
        if n > hits:
            best, hits = cand, n
    return best


_COCO_TEXT = {
    "bad_json": ("fail", "annotation files are not COCO JSON",
                 "write one JSON object with images, annotations and categories lists (cocodataset.org/#format-data)"),
    "bad_category": ("fail", "annotations name a category_id that is not in categories",
                     "add the category to categories, or fix category_id"),
    "bad_image_id": ("fail", "annotations name an image_id that is not in images", "fix image_id or add the image"),
    "bad_annotation": ("fail", "annotations are not JSON objects", "write each annotation as {...}"),
    "bad_box": ("warn", "boxes are not [x, y, width, height] with width and height > 0",
                "COCO boxes are [x, y, width, height] in pixels; fix or remove them"),
    "no_label": ("warn", "images have no annotation", "fine for images without objects; otherwise annotate them"),
    "bad_size": ("fail", f"images whose width x height in the annotations no real image has (a side of 0 or over "
                         f"{MAX_IMAGE_SIDE:,} pixels)",
                 "write each image's real width and height in pixels in its images entry (TAO reads them)"),
}


def _coco_problems(kinds: Kinds, texts: dict[str, tuple[str, str, str]]) -> list[Problem]:
    table = {**_COCO_TEXT, **texts}
    order = ["bad_json", "no_image", "bad_category", "bad_image_id", "bad_annotation", "bad_box", "bad_size",
             "no_label"]
    return [Problem(k, *table[k][:1], kinds.count[k], kinds.example[k], *table[k][1:])
            for k in sorted(kinds.count, key=order.index) if kinds.count[k]]


# --------------------------------------------------------------------------- images


def real_size(width: int, height: int) -> bool:
    """A size a real image has: both sides 1..MAX_IMAGE_SIDE pixels (a corrupt header says e.g. 0 or 2448309888)."""
    return 0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels as a PNG/JPEG/BMP header says, without decoding the image; None if unknown.
    A corrupt header gives sizes no image has: check them with :func:`real_size`."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n"):
                if len(head) < 24:
                    return None
                w, h = struct.unpack(">II", head[16:24])
                return w, h
            if head[:2] == b"BM" and len(head) >= 26:
                w, h = struct.unpack("<ii", head[18:26])
                return w, abs(h)
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


# --------------------------------------------------------------------------- networks and classes

# Which annotation format each network's dataset step reads. Source: NVIDIA TAO Toolkit docs, "Data
# Annotation Format" (docs.nvidia.com/tao/tao-toolkit/text/data_annotation_format.html) and each network's
# "Preparing the dataset" section: the TF1 detectors convert KITTI with dataset_convert; mask_rcnn,
# efficientdet, dino, deformable_detr, grounding_dino, mask2former, mal, bpnet and retail_object_detection
# read COCO JSON; the classification networks read one folder per class; unet/segformer read image + mask
# folders.
_FORMATS = {
    "kitti": ("detectnet_v2", "yolo_v3", "yolo_v4", "yolo_v4_tiny", "ssd", "dssd", "retinanet", "faster_rcnn"),
    "coco": ("mask_rcnn", "efficientdet_tf1", "efficientdet_tf2", "dino", "deformable_detr", "grounding_dino",
             "mask_grounding_dino", "mask2former", "mal", "bpnet", "retail_object_detection", "rtdetr"),
    "image_folders": ("classification_tf1", "classification_tf2", "classification_pyt", "retail_object_recognition",
                      "ml_recog"),
    "masks": ("unet", "segformer"),
}
FORMAT_WORDS = {
    "kitti": "KITTI (images + one .txt label file per image)",
    "coco": "COCO (images + a JSON annotation file)",
    "image_folders": "image folders (one folder per class)",
    "masks": "images + segmentation mask images",
    "other": "its own format (see NVIDIA's docs for the network)",
}


def data_format(network: str) -> str:
    """The dataset format ``network`` reads: "kitti" | "coco" | "image_folders" | "masks" | "other".

    ``network`` is a tao-tui network name or TAO task name (e.g. "detectnet_v2", "dino"). Source: NVIDIA
    TAO docs "Data Annotation Format" and each network's dataset section (see ``_FORMATS``)."""
    for fmt, names in _FORMATS.items():
        if network in names:
            return fmt
    return nemo_format(network) or "other"


def default_mapping(scan: DatasetScan) -> list[tuple[str, str]]:
    """Each labelled class, lower-cased (as TAO reads it), mapped to itself; most objects first
    (ties in the order the labels first name them); KITTI's ``dontcare`` regions left out (IGNORED_CLASSES). [] when the scan found
    no objects."""
    skip = IGNORED_CLASSES if scan.format != "coco" else ()
    return [(name, name) for name, _ in scan.class_counts() if name not in skip]


# the conversational (NeMo) formats: tao_tui/dataset_nemo.py (imported last: it builds on DatasetScan)
from tao_tui.dataset_nemo import NEMO_FORMAT_WORDS, NEMO_FORMATS, nemo_format, scan_nemo  # noqa: E402

FORMAT_WORDS.update(NEMO_FORMAT_WORDS)
