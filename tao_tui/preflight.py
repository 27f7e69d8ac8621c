"""Pre-flight checks of a project before any container starts (shared by doctor, TUI, prompts).

Checks what a beginner gets wrong and TAO reports late or never: the KITTI dataset
(15 fields a line, image/label pairs, lower-case class names vs the class mapping,
image sizes vs the network input), every spec path reachable through a mount, and the
pretrained model present (with the exact NGC command to fetch it).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from tao_tui.dataset import (  # noqa: F401 - re-exported: the dataset scan lives in tao_tui.dataset
    IGNORED_CLASSES,
    IMAGE_EXTS,
    MAX_LABEL_FILES,
    DatasetScan,
    Finding,
    data_format,
    default_mapping,
    image_size,
    scan_dataset,
)
from tao_tui.dataset_nemo import NEMO_FORMATS
from tao_tui.errors import UserError
from tao_tui.project import CONTAINER_DATA, CONTAINER_ROOT, Project
from tao_tui.specs.netdef import project_network
from tao_tui.specs.rules import spec_class_findings

HDF5_SIG = b"\x89HDF\r\n\x1a\n"
ZIP_SIG = b"PK\x03\x04"
TRAINING_TASKS = frozenset({"train"})  # stage tasks that train (network.yaml `task:`; retrain stages too)


def scan_kitti(root: Path) -> DatasetScan:
    """The KITTI scan of :func:`tao_tui.dataset.scan_dataset`; no layout found is a failed finding, not
    an exception (every label line has 15 fields, boxes are x1<x2 and y1<y2, images pair with labels)."""
    return scan_for_preflight(root, "kitti")


def scan_for_preflight(root: Path, fmt: str | None) -> DatasetScan:
    """``scan_dataset(root, fmt=fmt)`` whose errors become one failed Finding (pre-flight never raises)."""
    try:
        return scan_dataset(Path(root), fmt=fmt)
    except UserError as err:
        return DatasetScan(root=Path(root), findings=[Finding("fail", err.message, err.fix)])


def project_scan(project: Project) -> DatasetScan | None:
    """The project's dataset scanned in the format its network reads (KITTI or COCO); None when the
    project has no dataset or the network reads another format (not checked here)."""
    if not project.dataset:
        return None
    fmt = data_format(project_network(project).task_name)
    if fmt in NEMO_FORMATS:  # conversational (tao_tui/dataset_nemo.py): checked when its files are there;
        try:  # a folder without them is the raw data NVIDIA's dataset_convert reads (e.g. an4)
            return scan_dataset(Path(project.dataset), fmt=fmt)
        except UserError:
            return None
    if fmt not in ("kitti", "coco"):
        return None
    return scan_for_preflight(Path(project.dataset), fmt)


def class_mapping_of(project: Project, net=None, spec: str | None = None) -> list[tuple[str, str]] | None:
    """The class mapping the project's spec files hold (SOURCE, TARGET pairs): the network's safe
    ``class_mapping`` parameter (or a ``class_list``, each name mapped to itself), read from ``spec`` when
    it has one, else from the first spec that does. None when the network has no class parameter."""
    from tao_tui.specs import load_spec

    net = net or project_network(project)
    params = [p for p in net.safe_params if p.type in ("class_mapping", "class_list")]
    params.sort(key=lambda p: (p.spec != spec, p.type != "class_mapping"))
    for p in params:
        path = project.specs_dir / p.spec
        if not path.is_file():
            continue
        doc = load_spec(path)
        if not doc.has(p.path):
            continue
        if p.type == "class_mapping":
            return doc.get_mapping(p.path)
        return [(str(n), str(n)) for n in doc.get_list(p.path)]
    return None


def check_classes(scan: DatasetScan, mapping: list[tuple[str, str]], *, trains: bool = False,
                  nvidia_default: list[tuple[str, str]] | None = None, project_root: Path | None = None
                  ) -> list[Finding]:
    """The class mapping (SOURCE, TARGET pairs) against the classes the labels hold.

    For a stage that trains (``trains``), labelled classes left unmapped, a target class no labelled
    object maps to, and capitals are failures whose fix is the exact `tao-tui set --classes ...` line;
    otherwise they are warnings. Sources with no labels are reported (as NVIDIA's default classes when
    they come from ``nvidia_default``). TAO lower-cases KITTI class names (kitti_converter_lib.py), so a
    source with capitals never matches. Returns [] when the scan found no objects."""
    from tao_tui.workflow.create import format_classes

    level = "fail" if trains else "warn"
    # a sampled scan may have missed a rare class: absence is then only a warning
    absent_level = "warn" if scan.sampled else level
    out: list[Finding] = []
    kitti = scan.format != "coco"
    fold = str.lower if kitti else str  # TAO lower-cases KITTI names; COCO categories match as written
    labelled = scan.classes
    nvidia_sources = {s for s, _ in (nvidia_default or [])}
    suggestion = suggest_mapping(scan, mapping)
    where = f" --project {shlex.quote(str(project_root))}" if project_root else ""
    fix_cmd = f"tao-tui set --classes {shlex.quote(format_classes(suggestion))}{where}" if suggestion else None
    capitals = [n for pair in mapping for n in pair if n != n.lower()] if kitti else []
    if capitals:
        out.append(Finding(level, f"class '{capitals[0]}' has capitals: TAO lower-cases label names, so it never "
                                  "matches and that class trains to 0 mAP", fix_cmd or f"use '{capitals[0].lower()}'"))
    if not labelled:
        return out
    absent = [s for s, _ in mapping if fold(s) not in labelled]
    if absent:
        nv = [s for s in absent if s in nvidia_sources]
        other = [s for s in absent if s not in nvidia_sources]
        if nv:
            out.append(Finding("warn", f"NVIDIA's default classes {', '.join(nv)} are not in your labels "
                                       "(they come from NVIDIA's example dataset)",
                               fix_cmd or "map your own classes with --classes"))
        for s in other:
            out.append(Finding("warn", f"class '{s}' of the mapping is not in any label file",
                               f"labels have: {', '.join(sorted(labelled))}"))
    targets: dict[str, list[str]] = {}
    for s, t in mapping:
        targets.setdefault(t, []).append(s)
    empty = [t for t, srcs in targets.items() if not any(fold(s) in labelled for s in srcs)]
    if empty:
        out.append(Finding(absent_level, f"target classes {', '.join(empty)} get no labelled objects (no label "
                                         f"maps to them): the model would learn classes it never sees",
                           fix_cmd or "map at least one labelled class to each target"))
    ignored = set(IGNORED_CLASSES) if kitti else set()
    mapped = {fold(s) for s, _ in mapping} | ignored
    unmapped = [n for n, _ in scan.class_counts() if n not in mapped]  # the order the summary lists them
    if unmapped:
        counts = ", ".join(f"{n} ({labelled[n]} objects)" for n in unmapped[:5])
        more = f" and {len(unmapped) - 5} more" if len(unmapped) > 5 else ""
        out.append(Finding(level, f"labels {counts}{more} are not in the class mapping and will be ignored",
                           fix_cmd or "add them with --classes name:target"))
    return out


def suggest_mapping(scan: DatasetScan, mapping: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``mapping`` with every pair whose source has labels kept (lower-cased), then every labelled class
    not yet mapped, mapped to itself (most objects first). [] when the scan found no objects."""
    labelled = scan.classes
    if not labelled:
        return []
    kept = [(s.lower(), t.lower()) for s, t in mapping if s.lower() in labelled]
    have = {s for s, _ in kept}
    return kept + [(s, s) for s, _ in default_mapping(scan) if s not in have]


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


MIN_MODEL_BYTES = 16 << 10  # smaller than any model's weights: a placeholder or an error message


def check_model_file(path: Path, *, key_set: bool, download: str | None = None) -> Finding:
    """A pretrained/input model: present, non-empty, and readable without a key or not.

    A file that is neither HDF5 nor zip is an encrypted .tlt/.hdf5 model (TAO opens it with KEY) or not a
    model at all (a cut or failed download: a placeholder, a saved error page). Where it is cheap to tell
    (a file too small for weights, an HTML/text page, an HDF5 file shorter than its header says) it is
    said to be no model, key or not. ``download``: the shell command that fetches it again (for the fix)."""
    if not path.is_file() or path.stat().st_size == 0:
        return Finding("fail", f"model file {path} is missing or empty")
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(4096)
    again = (f"download it again (remove the broken file first): rm -- {shlex.quote(str(path))} && {download}"
             if download else f"download it again (remove the broken file first: rm -- {shlex.quote(str(path))})")
    if head.startswith(HDF5_SIG):
        want = _hdf5_end(head)
        if want is not None and want > size:
            return Finding("fail", f"model file {path} is cut short: its HDF5 header says {_size(want)}, the file "
                                   f"has {_size(size)} (an interrupted download)", again)
        return Finding("pass", f"model file {path.name} ({_size(size)})")
    if head.startswith(ZIP_SIG):
        return Finding("pass", f"model file {path.name} ({_size(size)})")
    why = _not_a_model(head, size)
    if why:
        return Finding("fail", f"model file {path} ({_size(size)}) is not a model: not HDF5 or zip, and {why}; "
                               "a failed or cut download leaves such a file", again)
    if not key_set:
        return Finding("fail", f"model file {path} ({_size(size)}) is not HDF5 or zip: either an encrypted "
                               ".tlt/.hdf5 model, which needs its key (KEY), or not a model at all (a cut or "
                               "failed download)",
                       "an encrypted model: export KEY=<the key from the model card, often tlt_encode>; if TAO "
                       f"then cannot decrypt it with the right key, it is a broken file: {again}")
    return Finding("pass", f"model file {path.name} ({_size(size)}) is not HDF5 or zip: read as an encrypted "
                           "model with the key in $KEY (if TAO cannot decrypt it with the right key, the file is "
                           "a cut download: download it again)")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1 << 20:
        return f"{n // 1024} KiB"
    return f"{n / (1 << 20):.1f} MiB"


def _not_a_model(head: bytes, size: int) -> str | None:
    """Why a file that is neither HDF5 nor zip is surely no model (an encrypted one is random bytes), or None."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml")):
        return "it is a web page (HTML, e.g. a saved error page)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        text = head[:err.start].decode("utf-8") if err.start >= len(head) - 3 else None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text):
        return f"it is text ({text.strip()[:40]!r}), not weights"
    if size < MIN_MODEL_BYTES:
        return f"it is too small to hold a model's weights (under {_size(MIN_MODEL_BYTES)})"
    return None


def _hdf5_end(head: bytes) -> int | None:
    """The file size an HDF5 superblock (at offset 0) records (base address + end-of-file address), or None
    when the header is not one this reads (then nothing is concluded)."""
    import struct

    if len(head) < 16:
        return None
    version = head[8]
    if version in (0, 1):
        osize, start = head[13], 24 + (4 if version == 1 else 0)
        fields = 3  # base, free-space info, end of file
    elif version in (2, 3):
        osize, start = head[9], 12
        fields = 3  # base, superblock extension, end of file
    else:
        return None
    fmt = {4: "<I", 8: "<Q"}.get(osize)
    if fmt is None or len(head) < start + fields * osize:
        return None
    base, _, end = (struct.unpack(fmt, head[start + i * osize:start + (i + 1) * osize])[0] for i in range(fields))
    undefined = (1 << (8 * osize)) - 1
    if end in (0, undefined) or base == undefined:
        return None
    return base + end


def ngc_download_command(ngc: str, dest: Path) -> list[str]:
    return ["ngc", "registry", "model", "download-version", ngc, "--dest", str(dest)]


def check_pretrained(project: Project, *, key_set: bool) -> list[Finding]:
    from tao_tui.specs import load_spec

    net = project_network(project)
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
    # the NGC CLI makes <dest>/<model>_v<version>/<file>
    dest = host.parent.parent if re.search(r"_v[^/]+$", host.parent.name) else host.parent
    cmd = shlex.join(ngc_download_command(pre.ngc, dest))
    if host.is_file():
        return [check_model_file(host, key_set=key_set, download=cmd)]
    return [Finding("fail", f"pretrained model not found: {host} (the spec names {cpath})",
                    f"download it: {cmd}", download=(pre.ngc, dest))]


def check_data_paths(project: Project, docs: dict, path_params: set[tuple[str, str]] = frozenset()
                     ) -> list[Finding]:
    """Every spec value inside the dataset mount (``/workspace/tao-experiments/data/...``) names an input
    (the mount is read-only, so nothing is written there): it must exist on the host (a glob pattern must
    match something). A safe path parameter that misses is a failure with the `tao-tui set` line; a
    locked value only a warning (the dataset must then be arranged as NVIDIA's spec expects).
    ``kitti_config.root_directory_path`` is left to :func:`check_kitti_config` (its fix knows the layout)."""
    import glob

    out = []
    for name, doc in docs.items():
        for path, value in doc.leaves():
            if not isinstance(value, str) or not (value == CONTAINER_DATA or value.startswith(CONTAINER_DATA + "/")):
                continue
            if path.endswith(KITTI_ROOT) or path.endswith("root_directory_path"):
                continue
            try:
                host = project.to_host(value)
            except UserError:
                continue  # check_spec_paths reports it
            found = glob.glob(glob.escape(str(host)).replace(glob.escape("*"), "*")) if "*" in value \
                else host.exists()
            if found:
                continue
            safe = (name, _canonical(path)) in path_params
            fix = (f"put it there, or point the spec at yours: tao-tui set --project {shlex.quote(str(project.root))} "
                   + shlex.quote(f"{name}:{_canonical(path)}={CONTAINER_DATA}/<the path under your dataset>")
                   if safe else f"arrange the dataset so that {host} exists (NVIDIA's spec expects it there)")
            out.append(Finding("fail" if safe else "warn",
                               f"{name}: {path} = {value} is not in your dataset ({host} does not exist)", fix))
    return out


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
                    f"`tao-tui set --project {shlex.quote(str(project.root))} {shlex.quote(path + '=<path>')}` "
                    "or ✎ in the wizard; or add a mount for it"))
    return out


def _canonical(path: str) -> str:
    return path.replace("[0]", "")


KITTI_ROOT = "kitti_config.root_directory_path"


def check_kitti_config(project: Project, docs: dict, scan: DatasetScan | None = None) -> list[Finding]:
    """Each dataset_convert spec's ``kitti_config`` against the dataset on disk: ``root_directory_path``
    holds ``image_dir_name`` and ``label_dir_name``, and the image folder has ``image_extension`` files
    (TAO's kitti_converter_lib lists the image folder for that extension only). A folder the spec
    misses is a failure whose fix is the exact `tao-tui set` line for the layout the scan found
    (e.g. NVIDIA's converters' ``train/images`` + ``train/labels``)."""
    out = []
    for name, doc in docs.items():
        if getattr(doc, "format", None) != "prototxt" or not doc.has(KITTI_ROOT):
            continue
        root_c = str(doc.get(KITTI_ROOT))
        img = str(doc.get("kitti_config.image_dir_name")) if doc.has("kitti_config.image_dir_name") else None
        lab = str(doc.get("kitti_config.label_dir_name")) if doc.has("kitti_config.label_dir_name") else None
        try:
            host = project.to_host(root_c)
        except UserError:
            continue  # check_spec_paths reports it
        missing = [d for d in (img, lab) if d and not (host / d).is_dir()]
        if missing:
            out.append(Finding("fail", f"{name}: dataset_convert reads {root_c}/{img} and {root_c}/{lab}, but "
                                       f"{host / missing[0]} does not exist",
                               _kitti_config_fix(project, name, host, img, lab, scan)))
            continue
        ext = str(doc.get("kitti_config.image_extension")) if doc.has("kitti_config.image_extension") else None
        if ext and img:
            try:
                names = [e.name for e in os.scandir(host / img) if e.is_file()]
            except OSError:
                continue
            if not any(n.endswith(ext) for n in names):
                others = sorted({os.path.splitext(n)[1] for n in names if os.path.splitext(n)[1]})
                out.append(Finding(
                    "fail", f"{name}: dataset_convert reads only *{ext} images from {host / img}, and it has none"
                            + (f" (it has {', '.join(others[:4])})" if others else ""),
                    f"convert the images to {ext}, or as an expert: tao-tui set --project "
                    f"{shlex.quote(str(project.root))} --unlock {name}:kitti_config.image_extension "
                    + shlex.quote(f"{name}:kitti_config.image_extension={others[0] if others else ext}")))
    return out


def _container_root(project: Project, spec: str) -> str | None:
    from tao_tui.specs import load_spec

    path = project.specs_dir / spec
    return str(load_spec(path).get(KITTI_ROOT)) if path.is_file() else None


def _kitti_config_fix(project: Project, spec: str, host: Path, img: str | None, lab: str | None,
                      scan: DatasetScan | None) -> str:
    from tao_tui.dataset import find_kitti_layout

    where = f"put the images in {host / (img or '')} and the labels in {host / (lab or '')}"
    if not project.dataset:
        return where
    found = find_kitti_layout(Path(project.dataset))
    if not found:
        return where
    pairs, words = found
    split, img_dir, lab_dir = next((p for p in pairs if p[0] in ("train", "training")), pairs[0])
    try:
        rel = img_dir.parent.relative_to(Path(project.dataset))
    except ValueError:
        return where
    root_c = CONTAINER_DATA + ("" if str(rel) == "." else f"/{rel.as_posix()}")
    values = [f"{spec}:{KITTI_ROOT}={root_c}"]
    # the safe paths that name the same root (the train spec's image_directory_path) follow it
    old = _container_root(project, spec)
    for p in project_network(project).safe_params:
        path = project.specs_dir / p.spec
        if p.type != "path" or p.key == f"{spec}:{KITTI_ROOT}" or not path.is_file():
            continue
        from tao_tui.specs import load_spec

        doc = load_spec(path)
        if doc.has(p.path) and str(doc.get(p.path)) == old:
            values.append(f"{p.key}={root_c}")
    unlocks = []
    for key, have, want in (("image_dir_name", img, img_dir.name), ("label_dir_name", lab, lab_dir.name)):
        if have != want:
            values.append(f"{spec}:kitti_config.{key}={want}")
            unlocks.append(f"--unlock {spec}:kitti_config.{key}")
    cmd = " ".join(["tao-tui set --project", shlex.quote(str(project.root)), *unlocks,
                    *(shlex.quote(v) for v in values)])
    other = [p[0] for p in pairs if p[0] and p[0] != split]
    note = f" (the other splits, {', '.join(other)}, need their own dataset_convert spec)" if other else ""
    return f"your dataset has {words}: {where}, or point the spec at it: {cmd}{note}"


def nvidia_classes(net) -> list[tuple[str, str]]:
    """NVIDIA's default class mapping of ``net`` (its network.yaml class parameter's default)."""
    from tao_tui.specs.params import as_mapping

    for p in net.safe_params:
        if p.type == "class_mapping" and p.default is not None:
            return as_mapping(p.default, p.path)
        if p.type == "class_list" and isinstance(p.default, list):
            return [(str(n), str(n)) for n in p.default]
    return []


def scan_findings(project: Project, scan: DatasetScan) -> list[Finding]:
    """The dataset scan's findings for this project: label names with capitals are only worth a warning
    while the project's class mapping still names a class with capitals (TAO lower-cases the labels,
    so a lower-case mapping matches them; the warning would never go away)."""
    mapping = None
    try:
        mapping = class_mapping_of(project, project_network(project), None)
    except Exception:  # a mapping that cannot be read is reported by the class checks  # noqa: BLE001
        mapping = None
    problem = scan.problem("capitalised") if hasattr(scan, "problem") else None
    if problem is None or mapping is None or any(src != src.lower() for src, _ in mapping):
        return list(scan.findings)
    said = problem.finding()
    out = [f for f in scan.findings if not (f.level == said.level and f.what == said.what)]
    out.append(Finding("pass", f"{problem.count} objects have class names with capitals ({problem.example}); "
                               "TAO lower-cases them and the class mapping uses lower-case names"))
    return out


def dataset_class_findings(project: Project, scan: DatasetScan, *, trains: bool, spec: str | None = None
                           ) -> list[Finding]:
    """:func:`check_classes` for the project's own class mapping (none when the network has none)."""
    net = project_network(project)
    mapping = class_mapping_of(project, net, spec)
    if mapping is None:
        return []
    return check_classes(scan, mapping, trains=trains, nvidia_default=nvidia_classes(net),
                         project_root=project.root)


def container_ids(project: Project) -> tuple[int, int | None]:
    """The UID and GID the container runs as: the project's ``user`` (UID:GID), else the caller's."""
    uid_s, _, gid_s = (project.user or "").partition(":")
    if uid_s.isdigit():
        return int(uid_s), int(gid_s) if gid_s.isdigit() else None
    return os.getuid(), os.getgid()


def _allows(st: os.stat_result, uid: int, gid: int | None, want: int) -> bool:
    """Would ``uid``:``gid`` (no other groups: `docker run --user UID:GID`) get ``want`` (a mask of
    4 r, 2 w, 1 x) on a file with ``st``'s owner and mode bits? root always does."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        bits = st.st_mode >> 6
    elif gid is not None and st.st_gid == gid:
        bits = st.st_mode >> 3
    else:
        bits = st.st_mode
    return bits & want == want


def _as_owner(paths: list[Path], cmd: str) -> str:
    """``cmd`` over ``paths``, quoted, with ``sudo`` in front when the caller can change none of them."""
    me = os.geteuid()
    mine = me == 0 or all(_stat_or_none(p) is not None and _stat_or_none(p).st_uid == me for p in paths)
    return ("" if mine else "sudo ") + cmd + " " + " ".join(shlex.quote(str(p)) for p in paths)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _umask() -> int:
    """This process's umask, read without changing it (Linux: /proc/self/status); 022 when unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def check_container_access(project: Project, specs: list[str] | None = None,
                           results: list[Path] | None = None) -> list[Finding]:
    """The files the container uses as the project's user (UID:GID, default the caller's): each spec
    (``specs``: names in specs/, default all) must be readable and specs/ searchable by it; the results
    folders (default results/ and its sub-folders) writable — unless tao-tui runs as root, when the
    runner gives each stage's results folder to that user itself. Each problem: a fail with the quoted
    chmod/chown line that fixes it."""
    uid, gid = container_ids(project)
    if uid == 0:
        return []
    who = f"{uid}:{gid}" if gid is not None else str(uid)
    out: list[Finding] = []
    sdir = project.specs_dir
    st = _stat_or_none(sdir)
    if st is not None and not _allows(st, uid, gid, 5):
        out.append(Finding("fail", f"the container's user {who} cannot open {sdir} (mode "
                                   f"{st.st_mode & 0o777:o}, owner {st.st_uid}:{st.st_gid})",
                           _as_owner([sdir], "chmod a+rx")))
    names = specs if specs is not None else sorted(p.name for p in sdir.glob("*") if p.is_file()) \
        if sdir.is_dir() else []
    bad = []
    for name in names:
        st = _stat_or_none(sdir / name)
        if st is not None and not _allows(st, uid, gid, 4):
            bad.append((sdir / name, st))
    if bad:
        first, st = bad[0]
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        out.append(Finding("fail", f"the container's user {who} cannot read {first} (mode {st.st_mode & 0o777:o}, "
                                   f"owner {st.st_uid}:{st.st_gid}){more}: TAO would stop on it",
                           _as_owner([p for p, _ in bad], "chmod a+r")))
    if os.geteuid() == 0:
        return out
    if results is None:
        top = project.root / "results"
        results = [top, *sorted(p for p in top.glob("*") if p.is_dir())] if top.is_dir() else []
    for folder in results:
        st = _stat_or_none(folder)
        if st is None and folder.parent.is_dir():  # the runner makes it as the caller, mode 0777 & ~umask
            made = os.stat_result((0o40000 | (0o777 & ~_umask()), 0, 0, 0, os.geteuid(), os.getegid(),
                                   0, 0, 0, 0))
            if not _allows(made, uid, gid, 3):
                q = shlex.quote(str(folder))
                out.append(Finding("fail", f"the container's user {who} could not write to {folder}: tao-tui makes "
                                           f"it as your user {os.geteuid()} (mode {made.st_mode & 0o777:o}), so "
                                           "outputs would be missing",
                                   f"mkdir -p {q} && chmod a+rwx {q} (or run tao-tui as root: it gives the folder "
                                   f"to {who})"))
            continue
        if st is None or _allows(st, uid, gid, 3):
            continue
        fix = (_as_owner([folder], "chmod -R a+rwX") if st.st_uid == os.geteuid()
               else _as_owner([folder], f"chown -R {shlex.quote(who)}"))
        out.append(Finding("fail", f"the container's user {who} cannot write to {folder} (mode "
                                   f"{st.st_mode & 0o777:o}, owner {st.st_uid}:{st.st_gid}): outputs would be "
                                   "missing", fix))
    return out


def preflight(project: Project, *, key_set: bool = False, scan: DatasetScan | None = None) -> list[Finding]:
    """Every check for ``project``; nothing here starts a container. Class-mapping problems are
    failures here (as before any stage that trains). ``scan``: the project's dataset scan when the
    caller has it already (:func:`project_scan`)."""
    from tao_tui.specs import load_spec

    findings: list[Finding] = []
    docs = {p.name: load_spec(p) for p in sorted(project.specs_dir.glob("*")) if p.is_file()}
    findings += check_spec_paths(project, docs)
    findings += [Finding("fail", f"{e.field}: {e.rule}", e.fix) for e in spec_class_findings(docs)]
    if project.dataset:
        scan = scan or project_scan(project)
        if scan is not None:
            findings += scan_findings(project, scan)
            findings += check_kitti_config(project, docs, scan)
            findings += dataset_class_findings(project, scan, trains=True)
    else:
        findings.append(Finding("warn", "no dataset folder set for this project",
                                "set it: tao-tui set --dataset DIR --project " + shlex.quote(str(project.root))))
    findings += check_pretrained(project, key_set=key_set)
    findings += check_container_access(project)
    return _unique(findings)


def check_unset_values(project: Project, net, stage) -> list[Finding]:
    """Safe values of ``stage``'s spec still at NVIDIA's "fill me in" placeholder (Hydra's ``???``) that
    the stage's command does not pass as a ``key=value`` override: NeMo stops on them inside the
    container ("Missing mandatory value"), so each is a failure naming the value and the `tao-tui set`
    line that fills it."""
    from tao_tui.specs import load_spec
    from tao_tui.specs.params import is_unset
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.stages import Pipeline

    path = project.specs_dir / (stage.spec or "")
    if not stage.spec or not path.is_file():
        return []
    doc = load_spec(path)
    given = {a.split("=", 1)[0] for a in build_command(Pipeline(project, net), stage.id, have_key=True).args
             if "=" in a and not a.startswith("-")}
    out = []
    for p in net.safe_params:
        if p.spec != stage.spec or p.path in given or not doc.has(p.path) or not is_unset(doc.get(p.path)):
            continue
        out.append(Finding(
            "fail", f"{stage.spec}: {p.path} is still NVIDIA's placeholder {doc.get(p.path)!r}; {stage.id} "
                    "cannot run without it",
            f"tao-tui set --project {shlex.quote(str(project.root))} "
            + shlex.quote(f"{p.path}={CONTAINER_DATA}/<your file or folder>") + " (or ✎ in the wizard)"))
    return out


def preflight_stage(project: Project, stage_id: str, *, key_set: bool = False) -> list[Finding]:
    """The checks that matter before ``stage_id`` starts (run by `tao-tui run`, the TUI and --plain).

    The dataset scan runs before the stage that first reads the dataset (dataset_convert, else the first
    stage that trains); every stage that trains (network.yaml ``task: train``, retrain included) fails on
    a class mapping that does not match the labels; dataset_convert only warns about it."""
    from tao_tui.specs import load_spec

    net = project_network(project)
    stage = net.stage(stage_id)
    findings: list[Finding] = []
    if stage.spec and (project.specs_dir / stage.spec).is_file():
        doc = load_spec(project.specs_dir / stage.spec)
        path_params = {(p.spec, _canonical(p.path)) for p in net.safe_params if p.type == "path"}
        findings += check_spec_paths(project, {stage.spec: doc}, path_params)
        if project.dataset:
            findings += check_data_paths(project, {stage.spec: doc}, path_params)
        findings += [Finding("fail", f"{e.field}: {e.rule}", e.fix) for e in spec_class_findings({stage.spec: doc})]
    if net.specs == "download":  # conversational: NVIDIA's ??? placeholders the stage still has
        findings += check_unset_values(project, net, stage)
    trains = stage.task in TRAINING_TASKS
    reads_first = stage.task == "dataset_convert" or (
        trains and not any(s.task == "dataset_convert" for s in net.stages)
    )
    if (reads_first or trains) and project.dataset:
        scan = project_scan(project)
        if scan is not None:
            if reads_first:
                findings += scan_findings(project, scan)
            if stage.task == "dataset_convert" and scan.format == "kitti" and stage.spec:
                findings += check_kitti_config(project, {stage.spec: load_spec(project.specs_dir / stage.spec)}
                                               if (project.specs_dir / stage.spec).is_file() else {}, scan)
            if stage.task == "dataset_convert" and scan.format == "kitti":
                for spec in net.spec_files:
                    if (project.specs_dir / spec).is_file() and spec.endswith(".txt"):
                        findings += check_input_size(load_spec(project.specs_dir / spec), scan,
                                                     stride=16 if net.task_name == "detectnet_v2" else None)
            findings += dataset_class_findings(project, scan, trains=trains, spec=stage.spec)
    if net.pretrained and stage.spec and stage.spec == net.pretrained.spec:
        findings += check_pretrained(project, key_set=key_set)
    findings += check_input_images(project, stage_id)
    results = project.results_dir(stage_id)
    findings += check_container_access(project, [stage.spec] if stage.spec else [], [results])
    if net.cli == "contract":  # TAO 7: the tokens its contract needs (HF_TOKEN) are not passed in
        from tao_tui.workflow.tao7 import token_problems

        findings += [Finding(level, what, fix) for level, what, fix in token_problems(project, net)]
    return _unique(findings)


def _unique(findings: list[Finding]) -> list[Finding]:
    """Each finding once (two spec files can report the same thing), in order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.level, f.what) not in seen:
            seen.add((f.level, f.what))
            out.append(f)
    return out


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
