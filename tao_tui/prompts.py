"""Plain prompt mode (`tao-tui --plain`, or no full-screen terminal): the same wizard as questions.

Same core underneath as the TUI: catalog → create_project → ParamSet → StageRunner.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tao_tui.errors import TaoTuiError
from tao_tui.project import PROJECT_FILE, Project


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
    if project and (Path(project) / PROJECT_FILE).is_file():
        root = Path(project)
    else:
        root = _new_project(questionary)
    return _project_loop(questionary, root)


def _new_project(q) -> Path:
    from tao_tui.catalog import load_catalog
    from tao_tui.workflow.create import create_project

    cat = load_catalog()
    choices = [q.Choice(f"{n.name:<28} {n.description[:70]}", value=n.name)
               for n in sorted(cat.networks, key=lambda n: n.name) if n.specs == "bundled"]
    network = _ask(q.select("Which network?", choices=choices))
    while True:
        folder = _ask(q.path("Project folder:", default=str(Path.home() / "tao-projects" / network)))
        dataset = _ask(q.path("Dataset folder (KITTI image_2/ + label_2/; empty = later):", default="")) or None
        try:
            return create_project(Path(folder), network, tao_version=cat.version, dataset=dataset).root
        except TaoTuiError as err:
            print(f"error: {err}")


def _project_loop(q, root: Path) -> int:
    from tao_tui.runtime.runner import StageRunner, read_key
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.stages import Pipeline

    while True:
        project = Project.load(root)
        pipe = Pipeline.for_project(project)
        choices = [q.Choice("edit a safe parameter", value="edit")]
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
        key = read_key()
        try:
            cmd = build_command(pipe, what, have_key=bool(key))
            print(f"$ {cmd.display}")
            runner = StageRunner(project)
            record = runner.start(what, key)
            runner.attach(record.run_id, lambda lines, events: print("\n".join(lines)))
            st = runner.project.stages[what]
            print(f"{what}: {st.status}" + (f" ({st.message})" if st.message else ""))
        except TaoTuiError as err:
            print(f"error: {err}")


def _edit(q, project: Project) -> None:
    from tao_tui.specs.netdef import load_network
    from tao_tui.workflow.create import set_param

    net = load_network(project.network)
    choices = [q.Choice(f"{p.path} ({p.spec}) — {p.help}", value=p) for p in net.safe_params]
    param = _ask(q.select("Which value? (everything else stays at NVIDIA's default)", choices=choices))
    current = project.params.get(param.key, param.default)
    value = _ask(q.text(f"{param.path}:", default=str(current)))
    try:
        for notice in set_param(project.root, param.key, value).notices:
            print(f"note: {notice}")
        print(f"saved {param.path} = {value}")
    except TaoTuiError as err:
        print(f"error: {err}")
