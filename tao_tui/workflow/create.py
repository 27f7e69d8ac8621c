"""Create a project and (re)write its spec files from NVIDIA's templates + the user's values.

The project's ``params`` (safe values the user changed) are the source of truth: the
spec files in ``<project>/specs`` are always NVIDIA's templates with exactly those values
applied, the class blocks regenerated, the retrain spec derived from the train spec and
each stage's inputs pointed at the previous stage's outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tao_tui.errors import UserError, ValidationError
from tao_tui.project import (
    CONTAINER_DATA,
    JOURNAL,
    PROJECT_FILE,
    Project,
    atomic_write,
    new_project_id,
)
from tao_tui.specs import SpecDoc, load_spec
from tao_tui.specs.downloaded import require_downloaded
from tao_tui.specs.netdef import NetworkDef, load_network, project_network
from tao_tui.specs.params import ParamSet, Rewrite, canonical_path, format_value
from tao_tui.workflow.stages import Pipeline

CLASSES_KINDS = ("classes",)


def default_tao_version(network: str) -> tuple[str, str | None]:
    """The newest TAO version whose catalog has ``network`` (its launcher task), and its image."""
    from tao_tui.catalog import known_versions, launcher_versions, load_catalog, tao_version_tuple

    task = load_network(network).task_name
    # a launcher version first (TAO 7's `docker run` jobs are chosen with --tao-version 7.x), then TAO 7
    newest_first = sorted(launcher_versions(), key=tao_version_tuple, reverse=True)
    newest_first += [v for v in sorted(known_versions(), key=tao_version_tuple, reverse=True) if v not in newest_first]
    for version in newest_first:
        cat = load_catalog(version)
        if any(n.name == task for n in cat.networks):
            return cat.version, cat.network(task).image
    raise UserError(f"no TAO version in the catalog runs '{task}'", "pass --tao-version and --image", field="network")


def image_for(network: str, tao_version: str) -> str | None:
    from tao_tui.catalog import load_catalog

    return load_catalog(tao_version).network(load_network(network).task_name).image


def template_docs(net: NetworkDef) -> dict[str, SpecDoc]:
    docs: dict[str, SpecDoc] = {}
    for name in net.spec_files:
        path = net.folder / name
        if not path.is_file():
            raise UserError(f"{net.name}: spec file {name} is missing from {net.folder}", "reinstall tao-tui")
        docs[name] = load_spec(path)
    return docs


def _kitti_folders(project: Project) -> tuple[str, str, str, str | None] | None:
    """The dataset's one KITTI image/label pair as (container root, image folder name, label folder
    name, image extension), or None (no dataset here, no KITTI layout, or several splits).

    NVIDIA's KITTI specs assume ``<data>/training/image_2 + label_2`` of ``.png`` images; a dataset laid
    out as ``image_2 + label_2`` or ``images + labels`` (at its top or in one sub-folder) is read where
    it is. Several splits (``train/`` + ``val/``) are left to pre-flight, which says how to point the
    spec at one of them."""
    from tao_tui.dataset import IMAGE_EXTS, find_kitti_layout

    if not project.dataset:
        return None
    ds = Path(project.dataset).expanduser()
    try:
        found = find_kitti_layout(ds) if ds.is_dir() else None
    except OSError:
        return None
    if not found or len(found[0]) != 1:
        return None
    _split, img, lab = found[0][0]
    if img.parent != lab.parent:
        return None
    rel = img.parent.relative_to(ds).as_posix()
    root = CONTAINER_DATA if rel in ("", ".") else f"{CONTAINER_DATA}/{rel}"
    exts: dict[str, int] = {}
    try:
        with os.scandir(img) as it:
            for i, entry in enumerate(it):
                if i >= 2000:
                    break
                ext = os.path.splitext(entry.name)[1].lower()
                if ext in IMAGE_EXTS:
                    exts[ext] = exts.get(ext, 0) + 1
    except OSError:
        pass
    ext = max(exts, key=exts.get) if exts else None
    return root, img.name, lab.name, ext


def _dataset_root_fix(project: Project, docs: dict[str, SpecDoc], net: NetworkDef) -> dict[str, str]:
    """Safe path values that NVIDIA points at ``<data>/training``, pointed at the dataset's own KITTI
    folder instead (see :func:`_kitti_folders`)."""
    folders = _kitti_folders(project)
    if folders is None:
        return {}
    root = folders[0]
    fixes = {}
    old = f"{CONTAINER_DATA}/training"
    if root == old:
        return {}
    for p in net.safe_params:
        if p.type != "path" or p.spec not in docs or not docs[p.spec].has(p.path):
            continue
        value = docs[p.spec].get(p.path)
        if isinstance(value, str) and (value == old or value.startswith(old + "/")):
            fixes[p.key] = root + value[len(old) :]
    return fixes


KITTI_CONFIG = "kitti_config"


def _dataset_layout_fix(project: Project, docs: dict[str, SpecDoc]) -> None:
    """The image/label folder names and the image extension of every ``kitti_config`` block (the
    converter's input, NVIDIA's ``image_2``/``label_2``/``.png``) set to what the dataset has, so
    dataset_convert finds the files. Only blocks whose root is inside the dataset mount are changed."""
    folders = _kitti_folders(project)
    if folders is None:
        return
    root, image_dir, label_dir, ext = folders
    nvidia_root = f"{CONTAINER_DATA}/training"
    for doc in docs.values():
        if not (doc.has(f"{KITTI_CONFIG}.image_dir_name") and doc.has(f"{KITTI_CONFIG}.root_directory_path")):
            continue
        root_value = doc.get(f"{KITTI_CONFIG}.root_directory_path")
        if not (isinstance(root_value, str) and root_value.startswith(CONTAINER_DATA)):
            continue
        if root != nvidia_root and doc.has("image_directory_path") and doc.get("image_directory_path") == nvidia_root:
            doc.set("image_directory_path", root)  # the converter's own copy of the dataset root
        doc.set(f"{KITTI_CONFIG}.image_dir_name", image_dir)
        if doc.has(f"{KITTI_CONFIG}.label_dir_name"):
            doc.set(f"{KITTI_CONFIG}.label_dir_name", label_dir)
        if ext and doc.has(f"{KITTI_CONFIG}.image_extension"):
            current = doc.get(f"{KITTI_CONFIG}.image_extension")
            if isinstance(current, str) and current.lower().lstrip(".") != ext.lstrip("."):
                doc.set(f"{KITTI_CONFIG}.image_extension", ext if current.startswith(".") else ext.lstrip("."))


def render_specs(project: Project, *, write: bool = True) -> dict[str, SpecDoc]:
    """Templates + project.params -> the project's spec files (written atomically).

    Returns {spec file name: SpecDoc}. Raises ValidationError / UserError (nothing written) when a
    value or a cross-field rule fails."""
    return render_with_provenance(project, write=write)[0]


def render_with_provenance(
    project: Project, *, write: bool = True
) -> tuple[dict[str, SpecDoc], dict[str, Rewrite]]:
    """``render_specs`` that also says which values tao-tui itself wrote, and from what.

    Returns (docs, rewrites): rewrites maps ``"<spec>:<canonical path>"`` to a
    :class:`~tao_tui.specs.params.Rewrite` for every value that is neither NVIDIA's nor one the user
    set: class blocks regenerated from the class mapping, the dataset-root fix, the retrain spec's
    values copied from the train spec, earlier stages' outputs chained in (network.yaml ``feeds``) and
    locked intervals lowered to fit the training length (``rules.fit_intervals``)."""
    from tao_tui.specs import rules

    net = project_network(project)
    docs = template_docs(net)
    rewrites: dict[str, Rewrite] = {}
    params = ParamSet(net, docs, unlocked=set(project.unlocked))
    before = _snapshot(docs)
    _dataset_layout_fix(project, docs)
    _record(rewrites, before, docs, Rewrite("dataset_root", "from your dataset's folders (image/label names, extension)"))
    root_fix = _dataset_root_fix(project, docs, net)
    values: dict[str, Any] = dict(root_fix)
    values.update(project.params)
    for key, value in values.items():
        before = _snapshot(docs)
        written = params.set(key, value)
        own = [(p.spec, canonical_path(p.path)) for p in params.params_for(key)]
        if key in root_fix and key not in project.params:
            why = Rewrite("dataset_root", "for your dataset's folders (NVIDIA's paths assume data/training/)")
            _record(rewrites, before, docs, why)
        elif any(p.type == "class_mapping" for p in params.params_for(key)):
            why = Rewrite("classes", f"from the class mapping {format_value(written)}")
            _record(rewrites, before, docs, why, skip=own)

    pipe = Pipeline(project, net)
    feeds = pipe.feed_values()
    feed_stages = [stage.id for stage in pipe.stages for _feed in stage.feeds]
    if len(feed_stages) != len(feeds):  # feed_values is one row per stage feed, in stage order
        feed_stages = ["an earlier stage"] * len(feeds)
    for stage in net.stages:
        # the retrain spec follows the user's train spec, starting from the prune stage's output;
        # where the pruned model comes as a flag (ssd, dssd, unet: `-m`) or sits in a field the
        # train spec lacks, NVIDIA's own retrain spec stays, with the user's values
        if not (stage.derived_from and stage.spec) or not rules.can_derive_retrain(docs[stage.derived_from]):
            continue
        pruned = next(
            (
                pipe.resolve(f.value, prune, concrete=False)
                for prune in net.stages
                if prune.task == "prune"
                for f in prune.feeds
                if f.spec == stage.spec
            ),
            None,
        )
        if pruned is not None:
            before = _snapshot(docs)
            docs[stage.spec] = rules.derive_retrain(docs[stage.derived_from], pruned)
            why = Rewrite("retrain", f"from {stage.derived_from} (the retrain spec follows the train spec)")
            _record(rewrites, before, docs, why)
    if not net.uses_overrides:  # hydra and NeMo networks get their inputs as `key=value` overrides
        derived = {s.spec: s.derived_from for s in net.stages if s.derived_from and s.spec in docs}
        for (spec, path, value), stage_id in zip(feeds, feed_stages, strict=True):
            # a spec derived from this one (retrain from train) reads the same input, unless a later
            # feed of its own (the pruned model) replaces it
            targets = [spec, *(d for d, src in derived.items() if src == spec and docs[d].has(path))]
            for target in targets:
                if target in docs:
                    docs[target].set(path, value)
                    rewrites[f"{target}:{canonical_path(path)}"] = Rewrite("feed", f"from {stage_id}'s output", value)

    if net.cli == "contract":  # TAO 7: the GPU count goes in the spec, at the contract's gpu_spec_key
        from tao_tui.workflow.tao7 import apply_gpus

        before = _snapshot(docs)
        apply_gpus(project, net, docs)
        gpus = len(project.gpu_index) if project.gpu_index else int(project.gpus or 1)
        _record(rewrites, before, docs, Rewrite("gpus", f"from the project's GPU count ({gpus})"))
    before = _snapshot(docs)
    project.notices = rules.fit_intervals(net, docs)
    if project.notices:
        why = Rewrite("interval", "lowered to fit the training length")
        _record(rewrites, before, docs, why, notices=project.notices)
    problems = rules.check(net, docs)
    if problems:
        raise _combine(problems)
    if write:
        for name, doc in docs.items():
            atomic_write(project.specs_dir / name, doc.render())
    return docs, rewrites


def _snapshot(docs: dict[str, SpecDoc], only: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        name: {canonical_path(p): v for p, v in doc.leaves()}
        for name, doc in docs.items()
        if only is None or name == only
    }


def _record(
    rewrites: dict[str, Rewrite],
    before: dict[str, dict[str, Any]],
    docs: dict[str, SpecDoc],
    why: Rewrite,
    *,
    skip: list[tuple[str, str]] = (),
    only: str | None = None,
    notices: list[str] = (),
) -> None:
    """Every leaf that changed (or appeared) since ``before`` was written by tao-tui for ``why``,
    except those under ``skip`` ((spec, canonical path) of the user's own value)."""
    after = _snapshot(docs, only)
    for name, leaves in after.items():
        old = before.get(name, {})
        for path, value in leaves.items():
            if path in old and old[path] == value:
                continue
            if any(name == s and (path == g or path.startswith((g + ".", g + "["))) for s, g in skip):
                continue
            origin = why.origin
            for notice in notices:  # "spec: path lowered from 30 to 10 to fit lpath = 10"
                head, _, tail = notice.partition(" lowered ")
                if head.startswith(f"{name}: ") and canonical_path(head[len(name) + 2 :]) == path:
                    origin = f"lowered from {old.get(path)} to fit " + tail.split(" to fit ", 1)[-1]
            rewrites[f"{name}:{path}"] = Rewrite(why.kind, origin, value)


def project_paramset(project: Project) -> ParamSet:
    """The project's spec files as they are on disk, as a ParamSet whose rows carry the truth:
    NVIDIA's value from the templates, and what tao-tui rewrote (from ``render_with_provenance``; a
    project whose values no longer render gets no ``rewritten`` marks, and its rows say ``differs``).
    A spec file missing from the project is read from NVIDIA's template."""
    from tao_tui.errors import TaoTuiError

    net = project_network(project)
    nvidia = template_docs(net)
    try:
        _docs, rewrites = render_with_provenance(project, write=False)
    except TaoTuiError:
        rewrites = {}
    docs: dict[str, SpecDoc] = {}
    for name in net.spec_files:
        path = project.specs_dir / name
        docs[name] = load_spec(path) if path.is_file() else nvidia[name]
    return ParamSet(net, docs, unlocked=set(project.unlocked), nvidia=nvidia, rewrites=rewrites)


def set_param(root: Path, key: str, value: Any) -> Project:
    """Change one safe value of the project at ``root``: validated with every rule, the specs
    re-rendered and project.yaml saved together, under the project lock; nothing changes on error."""
    return set_params(root, {key: value})


def set_params(
    root: Path,
    changes: dict[str, Any],
    unlock: list[str] = (),
    dataset: str | None = None,
    classes: list[tuple[str, str]] | None = None,
    image: str | None = None,
) -> Project:
    """``set_param`` for several values at once (and explicit expert unlocks, recorded; the dataset
    folder, whose mount the launcher file follows; a class mapping, set as `new --classes` does; and the
    container image, already checked by the caller), written together with project.yaml."""
    try:
        with Project.locked(root) as project:
            if image is not None:
                project.image = image
            if changes or unlock or classes is not None:
                require_downloaded(project)  # conversational: nothing to set before download_specs ran
            project.unlocked = list(dict.fromkeys([*project.unlocked, *unlock]))
            project.params.update(changes)
            if classes is not None:
                project.params.update(class_params(project_network(project), classes))
            if dataset is not None:
                project.dataset = _dataset_dir(dataset)
                if project.dataset:
                    _apart(project.root, Path(project.dataset))
            # specs/ and tao_mounts.json are written with project.yaml, all or nothing
            for name, doc in render_specs(project, write=False).items():
                project.stage_file(project.specs_dir / name, doc.render())
            project.stage_file(project.root / LAUNCHER_MOUNTS, launcher_mounts_text(project))
    except OSError as err:  # disk full, read-only…: one line saying what is on disk now
        from tao_tui.errors import from_os_error

        repairing = (Path(root).expanduser() / JOURNAL).exists()
        raise from_os_error(err, after=(
            "project.yaml keeps its values; specs/ are put back in step with it by the next tao-tui command"
            if repairing else "nothing was changed (project.yaml and specs/ keep their values)")) from None
    return project


def _dataset_dir(dataset: str) -> str:
    ds = Path(dataset).expanduser()
    if not ds.is_dir():
        raise UserError(f"dataset folder {ds} does not exist", "pass the folder that holds your images and labels",
                        field="--dataset")
    return str(ds.resolve())


def _combine(problems: list[ValidationError]) -> UserError:
    if len(problems) == 1:
        return problems[0]
    lines = [str(p) for p in problems]
    return UserError(f"{len(problems)} problems in the spec values:\n" + "\n".join(lines), "fix each value above")


CLASSES_FIX = "write SOURCE:TARGET pairs separated by commas, e.g. car:car, truck:car, pedestrian"


def parse_classes(text: str, field: str = "--classes") -> list[tuple[str, str]]:
    """The one class-mapping notation -> (SOURCE, TARGET) pairs, in order.

    ``"car:car, truck:car, pedestrian"`` -> [(car, car), (truck, car), (pedestrian, pedestrian)]:
    SOURCE = a class name as the labels hold it (lower-case: TAO lower-cases KITTI names), TARGET = the
    model's class; a bare name maps to itself. Inverse of :func:`format_classes`. Raises ValidationError
    (naming ``field``) for an empty mapping, a pair without a source, or a pair with two colons; the
    names themselves are checked where they are written (ParamSet)."""
    pairs = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        src, _, tgt = item.partition(":")
        src, tgt = src.strip(), (tgt.strip() or src.strip())
        if not src:
            raise ValidationError(field, f"'{item}' has no source class name", CLASSES_FIX)
        if ":" in tgt or any(c in item for c in "[]'\"()"):
            raise ValidationError(field, f"'{item}' is not SOURCE:TARGET", CLASSES_FIX)
        pairs.append((src, tgt))
    if not pairs:
        raise ValidationError(field, "no classes given", CLASSES_FIX)
    return pairs


def format_classes(pairs) -> str:
    """(SOURCE, TARGET) pairs -> ``"car:car, truck:car"``: the one notation tao-tui shows a class
    mapping in (CLI, --plain, the wizard, `spec show`); :func:`parse_classes` reads it back."""
    return ", ".join(f"{src}:{tgt}" for src, tgt in pairs)


def class_params(net: NetworkDef, classes: list[tuple[str, str]], field: str = "--classes") -> dict[str, Any]:
    """The project params a class mapping sets: every ``class_mapping`` safe parameter gets the pairs;
    without one, every ``class_list`` gets the target names (once each, in order). The same values
    whether they come from `tao-tui new --classes`, `tao-tui set --classes`, --plain or the wizard.
    Raises ValidationError when the network has no class parameter."""
    mapping = [p for p in net.safe_params if p.type == "class_mapping"]
    lists = [p for p in net.safe_params if p.type == "class_list"]
    targets = mapping or lists
    if not targets:
        raise ValidationError(field, f"{net.name} has no class list to set", "leave --classes out")
    names = list(dict.fromkeys(t for _, t in classes))
    return {p.key: [list(x) for x in classes] if p.type == "class_mapping" else list(names) for p in targets}


def _apart(root: Path, dataset: Path) -> None:
    """The dataset is mounted read-only inside the project's mount: neither folder may hold the other."""
    a, b = Path(os.path.abspath(root)), Path(os.path.abspath(dataset))
    if a == b or a in b.parents or b in a.parents:
        raise UserError(
            f"the dataset {dataset} and the project folder {root} overlap: the dataset is mounted read-only "
            "and the project holds results and specs",
            "keep them apart: a project folder beside the dataset, e.g. --dir ~/tao-projects/NAME",
            field="--dataset",
        )


def create_project(
    root: Path,
    network: str,
    *,
    tao_version: str | None = None,
    image: str | None = None,
    dataset: str | None = None,
    sets: list[tuple[str, str]] = (),
    classes: list[tuple[str, str]] | None = None,
    gpus: int = 1,
    user: str | None = None,
    unlock: list[str] = (),
) -> Project:
    root = Path(root).expanduser().resolve()
    if (root / PROJECT_FILE).exists():
        raise UserError(
            f"{root} already holds a project",
            "pick another --dir, or open it with `tao-tui --project DIR`",
            field="--dir",
        )
    if tao_version is None:
        tao_version, cat_image = default_tao_version(network)
    else:
        cat_image = image_for(network, tao_version)
    net = load_network(network, version=tao_version)  # TAO 7: the definition generated from the contract
    if dataset:
        dataset = _dataset_dir(dataset)
        _apart(root, Path(dataset))
    project = Project(
        root=root,
        id=new_project_id(),
        network=net.name,
        tao_version=tao_version,
        image=image or cat_image,
        dataset=dataset,
        gpus=gpus,
        user=user,
        unlocked=list(unlock),
    )
    if net.specs == "download" and (sets or classes is not None):
        raise UserError(
            f"{network}'s spec files are not here yet: NVIDIA ships them inside the container",
            "create the project without --set/--classes, run `tao-tui run download_specs --project DIR`, "
            "then `tao-tui set --project DIR PATH=VALUE`",
            field="--set",
        )
    for path, value in sets:
        project.params[net.param_key(path)] = value
    if classes is not None:
        project.params.update(class_params(net, classes))
    before = _Footprint(root, ("specs", "results", "runs"))
    try:
        render_specs(project)  # validates everything before anything is saved
        for sub in ("results", "runs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        write_launcher_mounts(project)
        project.save()
    except BaseException as err:  # disk full, Ctrl-C, a bad value…: leave nothing behind that we made
        before.undo()
        if isinstance(err, OSError):
            from tao_tui.errors import EnvironmentProblem, from_os_error

            problem = from_os_error(err, f"creating the project in {root} (nothing was left behind)")
            raise EnvironmentProblem(problem.message, problem.fix, field="--dir") from err  # the app: folder step
        raise
    return project


class _Footprint:
    """What exists at and under ``root`` (its entries and those of ``subs``) before create_project writes,
    so a failure part-way removes exactly what it made: the folders it created (up to the first that
    existed) and new entries in folders that were there already; never anything that existed before."""

    def __init__(self, root: Path, subs: tuple[str, ...]):
        self.root = root
        top = root
        while not top.parent.exists() and top.parent != top:
            top = top.parent
        self.top = top if not top.exists() else None  # the highest folder we would create
        self.entries = {d: self._list(root / d) for d in ("", *subs)}

    @staticmethod
    def _list(folder: Path) -> set[str] | None:
        try:
            return set(os.listdir(folder)) if folder.is_dir() else None
        except OSError:
            return None

    def undo(self) -> None:
        import shutil

        if self.top is not None:
            shutil.rmtree(self.top, ignore_errors=True)
            return
        for d in sorted(self.entries, key=len, reverse=True):  # sub-folders first, then the root's own
            old = self.entries[d]
            if old is None:
                continue
            folder = self.root / d if d else self.root
            for name in self._list(folder) or set():
                if name in old or (not d and name in self.entries and self.entries[name] is not None):
                    continue
                path = folder / name
                try:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
                except OSError:
                    pass


LAUNCHER_MOUNTS = "tao_mounts.json"


def write_launcher_mounts(project: Project) -> None:
    """<project>/tao_mounts.json in NVIDIA's launcher format, so the `tao` lines tao-tui shows run the
    same way with the launcher (`cp <project>/tao_mounts.json ~/.tao_mounts.json`)."""
    atomic_write(project.root / LAUNCHER_MOUNTS, launcher_mounts_text(project))


def launcher_mounts_text(project: Project) -> str:
    """The text of <project>/tao_mounts.json (``write_launcher_mounts``)."""
    data = {
        "Mounts": [{"source": m.source, "destination": m.destination} for m in project.all_mounts()],
        "DockerOptions": {"user": project.user or f"{os.getuid()}:{os.getgid()}"},
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
