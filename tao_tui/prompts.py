"""Plain prompt mode (`tao-tui --plain`, or no full-screen terminal): the same wizard as questions.

The same steps as the wizard's set-up, with the same defaults, through the same core: network
(type to filter) → TAO version → folder → dataset (scanned, summary printed) → classes (prefilled from
the scan as ``forklift:forklift, person:person``; Enter keeps a shown default) → GPUs and key → the
safe values (each NVIDIA's default) → ``create_project``; then each stage runs after the same
pre-flight as `tao-tui run` (``preflight_gate``).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from tao_tui.errors import TaoTuiError
from tao_tui.project import Project
from tao_tui.setup_steps import check_new_folder, plain_value, value_params

STEPS = ("folder", "dataset", "classes", "gpus", "values")
# the step to ask again for an error's field (create_project's errors name their flag)
FIELD_STEP = {"--dir": "folder", "dataset": "dataset", "--dataset": "dataset", "--classes": "classes",
              "classes": "classes", "--gpus": "gpus"}


def _ask(question):
    answer = question.ask()
    if answer is None:  # Ctrl-C / no terminal
        raise KeyboardInterrupt
    return answer


def main(project: str | None = None) -> int:
    import questionary

    if not sys.stdin.isatty():
        print("tao-tui needs a terminal for its questions; for scripts use `tao-tui new ... --yes` and "
              "`tao-tui run STAGE`", file=sys.stderr)
        return 1
    from tao_tui.recent import find_project_root

    key = None
    # as the wizard: a given folder, or the folder tao-tui starts in, opens its project
    root = find_project_root(project) if project else find_project_root(Path.cwd())
    if root is None:
        root, key = new_project(questionary)
    else:
        print(f"project {root}")
    return _project_loop(questionary, root, key)


# --------------------------------------------------------------------------- set-up steps


def network_choices(catalog) -> list[tuple[str, str]]:
    """(title, network) once per network that has spec templates, sorted by name; the title holds the
    name, domain, framework and description so typing any of them filters the list."""
    from tao_tui.specs.netdef import template_networks

    have = set(template_networks())
    rows: dict[str, str] = {}
    for n in sorted(catalog.networks, key=lambda n: n.name):
        if n.name in rows or (n.name not in have and n.specs != "bundled"):
            continue
        rows[n.name] = f"{n.name:<26} {n.domain}/{n.framework}  {n.description[:60]}"
    return [(title, name) for name, title in rows.items()]


def tao_versions(network: str) -> tuple[list[str], str | None]:
    """The TAO versions whose catalog runs ``network`` (newest first) and the default one (as `new`)."""
    from tao_tui.catalog import known_versions, load_catalog, tao_version_tuple
    from tao_tui.specs.netdef import load_network
    from tao_tui.workflow.create import default_tao_version

    task = load_network(network).task_name
    versions = set()
    for v in known_versions():
        try:
            cat = load_catalog(v)
        except TaoTuiError:
            continue
        if any(n.name == task for n in cat.networks):
            versions.add(cat.version)
    ordered = sorted(versions, key=tao_version_tuple, reverse=True)
    try:
        default = default_tao_version(network)[0]
    except TaoTuiError:
        default = ordered[0] if ordered else None
    return ordered, default


def class_notes(net, scan) -> list[str]:
    """What the classes step says about the scan: NVIDIA's example classes dropped, capitals lower-cased."""
    from tao_tui.preflight import nvidia_classes

    sources = set(scan.classes)
    dropped = [s for s in dict.fromkeys(s for s, _ in nvidia_classes(net)) if s.lower() not in sources]
    notes = []
    if dropped:
        notes.append(f"NVIDIA's example classes not in your labels are dropped: {', '.join(dropped)}.")
    capitals = sorted(n for n in scan.raw_names if n != n.lower())
    if capitals:
        notes.append(f"TAO lower-cases label names, so {', '.join(capitals[:4])} are written lower-case.")
    return notes


def check_classes_text(net, text: str) -> list[tuple[str, str]]:
    """The classes answer -> pairs, every name checked as the spec will check it (ValidationError)."""
    from tao_tui.specs.params import check_class_name
    from tao_tui.workflow.create import parse_classes

    pairs = parse_classes(text, field="classes")
    role = "class" if any(p.type == "class_mapping" for p in net.safe_params) else "name"
    for src, tgt in pairs:
        check_class_name("classes", src, "label")
        check_class_name("classes", tgt, role)
    return pairs


def _validator(check):
    """A questionary validator from ``check(text)`` raising TaoTuiError: True, or the error's text."""

    def validate(text: str):
        try:
            check(text)
        except TaoTuiError as err:
            return str(err).replace("\n", " ")
        return True

    return validate


def new_project(q) -> tuple[Path, str | None]:
    """Ask the set-up steps and create the project. Returns (project folder, key or None)."""
    from tao_tui.catalog import load_catalog
    from tao_tui.specs.netdef import load_network

    cat = load_catalog()
    choices = [q.Choice(title, value=name) for title, name in network_choices(cat)]
    network = _ask(q.select("Which network? (type to filter)", choices=choices, use_search_filter=True,
                            use_jk_keys=False))
    versions, default_version = tao_versions(network)
    version = default_version
    if len(versions) > 1:
        version = _ask(q.select("TAO version:", choices=versions, default=default_version))
    net = load_network(network, version=version)  # the definition of that TAO version (spec files, safe values)
    answers: dict = {"folder": str(Path.home() / "tao-projects" / network), "dataset": "", "classes": None,
                     "gpus": "1", "key": None, "values": {}}
    scan = None
    step = 0
    while True:
        name = STEPS[step]
        if name == "folder":
            answers["folder"] = _ask(q.path("Project folder:", default=answers["folder"], only_directories=True,
                                            validate=_folder_validate, validate_while_typing=False))
            folder, _, is_project = check_new_folder(answers["folder"])
            if is_project:
                if _ask(q.confirm(f"{folder} already holds a project. Open it?", default=True)):
                    return folder, None
                continue
        elif name == "dataset":
            scan = _dataset_step(q, net, answers)
            if scan is False:
                continue
        elif name == "classes":
            if scan and scan.classes and any(p.type in ("class_mapping", "class_list") for p in net.safe_params):
                _classes_step(q, net, scan, answers)
            else:
                answers["classes"] = None
        elif name == "gpus":
            answers["gpus"] = _ask(q.text("GPUs to train on:", default=answers["gpus"], validate=_gpus_validate,
                                          validate_while_typing=False))
            key = _ask(q.password("Encryption key (never written anywhere; empty: $KEY, or none):"))
            answers["key"] = key or None
        elif name == "values":
            _values_step(q, net, answers)
        step += 1
        if step < len(STEPS):
            continue
        try:
            project = _create(network, version, answers)
        except TaoTuiError as err:
            print(f"error: {err}")
            step = STEPS.index(FIELD_STEP.get(err.field or "", "values"))
            continue
        for notice in project.notices:
            print(f"note: {notice}")
        print(f"created {project.network} project in {project.root} (TAO {project.tao_version})")
        return project.root, answers["key"]


def _folder_validate(text: str):
    _, problem, is_project = check_new_folder(text)
    return True if (not problem or is_project) else problem


def _gpus_validate(text: str):
    text = text.strip()
    if not text.isdigit() or int(text) < 1:
        return f"GPUs must be a whole number of 1 or more (got '{text}'): type e.g. 1"
    return True


def _dataset_step(q, net, answers):
    """Ask the dataset folder and scan it (summary printed). Returns the scan, None (no dataset), or
    False (ask again)."""
    from tao_tui.dataset import FORMAT_WORDS, data_format, scan_dataset

    fmt = data_format(net.task_name)
    text = _ask(q.path(f"Dataset folder ({FORMAT_WORDS[fmt]}; empty: set it later):", default=answers["dataset"],
                       only_directories=True, validate_while_typing=False)).strip()
    answers["dataset"] = text
    if not text:
        print("no dataset now: set it later with `tao-tui set --dataset DIR --project DIR`")
        return None
    from tao_tui.dataset_nemo import NEMO_FORMATS  # conversational: manifests, TSV, text+labels

    if fmt not in ("kitti", "coco", *NEMO_FORMATS):
        path = Path(text)
        if not path.is_dir():
            print(f"error: dataset: {text} is not a folder\n  fix: give the folder that holds your images")
            return False
        return None
    last = [0.0]

    def progress(done: int, total: int) -> None:
        import time

        if time.monotonic() - last[0] > 0.5 or done == total:
            last[0] = time.monotonic()
            print(f"\rscanning … {done}/{total}", end="", flush=True)

    try:
        scan = scan_dataset(Path(text), fmt=fmt, on_progress=progress)
    except TaoTuiError as err:
        print(f"\nerror: {err}")
        return False
    print()
    print("\n".join(scan.summary_lines()))
    fails = [p for p in scan.problems if p.level == "fail"]
    if fails:
        print(f"{len(fails)} problem(s) will stop training until fixed; pre-flight checks again before each stage.")
    return scan


def _classes_step(q, net, scan, answers) -> None:
    from tao_tui.dataset import default_mapping
    from tao_tui.workflow.create import format_classes

    print("Classes: each label in your dataset (left) trains the class on the right; give several labels "
          "the same target to merge them (e.g. pallet:forklift).")
    for note in class_notes(net, scan):
        print(note)
    default = answers["classes"] or format_classes(default_mapping(scan))
    answers["classes"] = _ask(q.text("Classes (SOURCE:TARGET, ...):", default=default,
                                     validate=_validator(lambda t: check_classes_text(net, t)),
                                     validate_while_typing=False))


def _values_step(q, net, answers) -> None:
    from tao_tui.specs.params import coerce

    print("Values (everything else stays at NVIDIA's tuned default; Enter keeps the default shown):")
    for p in value_params(net):
        bounds = ""
        if p.min is not None or p.max is not None:
            bounds = f" [{'' if p.min is None else p.min}..{'' if p.max is None else p.max}]"
        print(f"  {p.help}")
        current = answers["values"].get(p.path, plain_value(p.default))
        answers["values"][p.path] = _ask(q.text(f"{p.path}{bounds}:", default=current,
                                                validate=_validator(lambda t, p=p: coerce(p, t)),
                                                validate_while_typing=False)).strip()


def _create(network: str, version: str | None, answers: dict) -> Project:
    from tao_tui.specs.netdef import load_network
    from tao_tui.workflow.create import create_project, parse_classes

    net = load_network(network, version=version)
    folder, problem, _ = check_new_folder(answers["folder"])
    if folder is None:
        from tao_tui.errors import UserError

        raise UserError(problem, "type another folder", field="--dir")
    defaults = {p.path: plain_value(p.default) for p in value_params(net)}
    sets = [(path, text) for path, text in answers["values"].items() if text != defaults.get(path)]
    classes = parse_classes(answers["classes"], field="classes") if answers["classes"] else None
    return create_project(folder, network, tao_version=version, dataset=answers["dataset"] or None, sets=sets,
                          classes=classes, gpus=int(answers["gpus"]))


# --------------------------------------------------------------------------- the project


def _project_loop(q, root: Path, key: str | None = None) -> int:
    from tao_tui.runtime.runner import StageRunner, preflight_gate, read_key
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.stages import Pipeline

    while True:
        project = Project.load(root)
        pipe = Pipeline.for_project(project)
        choices = [q.Choice("edit a safe value", value="edit")]
        for s in pipe.stages:
            st = project.stages.get(s.id)
            choices.append(q.Choice(f"run {s.id:<20} [{st.status if st else 'pending'}]", value=s.id))
        choices.append(q.Choice("quit", value="quit"))
        what = _ask(q.select(f"{project.network} (TAO {project.tao_version})", choices=choices))
        if what == "quit":
            return 0
        if what == "edit":
            _edit(q, project)
            continue
        key = key or read_key()
        try:
            try:
                for finding in preflight_gate(project, what, key_set=bool(key)):
                    print(finding)
            except TaoTuiError as err:  # the same pre-flight as `tao-tui run`
                print(f"error: {err}")
                if not _ask(q.confirm("Start anyway (as `tao-tui run --skip-checks`)?", default=False)):
                    continue
            cmd = build_command(pipe, what, have_key=bool(key))
            print(f"$ {cmd.display}")
            runner = StageRunner(project)
            record = runner.start(what, key)
            runner.attach(record.run_id, lambda lines, events: print("\n".join(lines)))
            st = runner.project.stages[what]
            print(f"{what}: {st.status}" + (f" ({st.message})" if st.message else ""))
        except TaoTuiError as err:
            print(f"error: {err}")


def _shown(p, value) -> str:
    from tao_tui.workflow.create import format_classes

    if p.type == "class_mapping":
        from tao_tui.specs.params import as_mapping

        return format_classes(as_mapping(value, p.path))
    if p.type == "class_list":
        return ", ".join(str(v) for v in value)
    return plain_value(value)


def _edit(q, project: Project) -> None:
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import load_network
    from tao_tui.workflow.create import parse_classes, set_param, set_params

    net = load_network(project.network, version=project.tao_version)

    def current(p):
        path = project.specs_dir / p.spec
        if path.is_file():
            doc = load_spec(path)
            if doc.has(p.path):
                if p.type == "class_mapping":
                    return doc.get_mapping(p.path)
                return doc.get_list(p.path) if p.type == "class_list" else doc.get(p.path)
        return project.params.get(p.key, p.default)

    choices = [q.Choice(f"{p.path} = {_shown(p, current(p))[:40]} ({p.spec})", value=p) for p in net.safe_params]
    param = _ask(q.select("Which value? (everything else stays at NVIDIA's default)", choices=choices))
    is_classes = param.type in ("class_mapping", "class_list")
    label = f"{param.path} (SOURCE:TARGET, ...):" if param.type == "class_mapping" else f"{param.path}:"
    shown = _shown(param, current(param))
    value = _ask(q.text(label, default=shown, validate_while_typing=False))
    if value.strip() == shown:
        print(f"kept {param.path} = {shown}")
        return
    try:
        if is_classes and param.type == "class_mapping":
            updated = set_params(project.root, {}, classes=parse_classes(value, field=param.path))
        else:
            updated = set_param(project.root, param.key, value)
        for notice in updated.notices:
            print(f"note: {notice}")
        print(f"saved {param.path} = {value}")
        if is_classes:
            print(f"(the same as: tao-tui set --classes {shlex.quote(value)} --project {shlex.quote(str(project.root))})")
    except TaoTuiError as err:
        print(f"error: {err}")
