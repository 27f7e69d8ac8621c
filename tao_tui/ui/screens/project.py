"""Steps 3-5: edit the safe parameters, run each stage, watch it, copy its `tao` command."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static, TabbedContent, TabPane

from tao_tui.errors import TaoTuiError
from tao_tui.project import Project, run_stage
from tao_tui.ui.messages import StageFinished, StageStarted, WorkerError
from tao_tui.ui.widgets.gpu_panel import GpuPanel
from tao_tui.ui.widgets.log_pane import LogPane
from tao_tui.ui.widgets.progress_panel import ProgressPanel
from tao_tui.ui.widgets.stage_list import StageList

# plain-width marks (emoji are two cells wide in some terminals and none in others)
STATE_MARK = {"editable": "✎ edit", "changed": "✎ yours", "unlocked": "UNLOCKED", "locked": "[dim]locked[/]"}


class ProjectScreen(Screen):
    BINDINGS = [
        Binding("r", "run", "run stage"),
        Binding("s", "stop", "stop"),
        Binding("c", "copy", "copy command"),
        Binding("e", "edit", "edit value"),
        Binding("p", "preflight", "pre-flight"),
        Binding("d", "diff", "diff vs NVIDIA"),
        Binding("question_mark", "app.help", "help"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self, root: Path):
        super().__init__()
        self.root = Path(root)
        self.project = Project.load(self.root)
        self.key: str | None = os.environ.get("KEY") or None
        self._rows: list = []
        self._saved: tuple[str, str] | None = None  # (key, text) of the last saved value
        self._shown_run: str | None = None  # the run whose log the log pane shows
        # set when the wizard goes: followers return at once, containers keep running
        self._leaving = threading.Event()

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="left"):
                yield Label("[b]Stages[/b]")
                yield StageList(id="stages")
                yield GpuPanel(id="gpu")
            with Vertical(id="main"):
                yield Static(id="command")
                yield ProgressPanel(id="progress")
                with TabbedContent(id="tabs"):
                    with TabPane("Log", id="tab-log"):
                        yield LogPane(id="log")
                    with TabPane("Parameters", id="tab-params"):
                        yield DataTable(id="params", cursor_type="row", zebra_stripes=True)
                        yield Input(id="param-input", placeholder="select an editable value and press e")
                        yield Static(id="param-msg")
        yield Footer()

    def on_unmount(self) -> None:
        self._leaving.set()

    def on_mount(self) -> None:
        self.title = f"tao-tui · {self.project.network} · TAO {self.project.tao_version}"
        self.sub_title = str(self.root)
        self.refresh_stages()
        self.load_params()
        self.query_one("#stages", StageList).focus()
        self.query_one("#log", LogPane).buffer.extend([
            "Pick a stage on the left: r runs it in its TAO container, c copies its tao command.",
            "The Parameters tab shows every spec value: ✎ ones are yours to change, the rest stay NVIDIA's.",
        ])
        self.reattach()
        self.set_interval(2.0, self.read_gpus)
        self.read_gpus()

    @work(thread=True, exclusive=True, group="gpu")
    def read_gpus(self) -> None:
        from tao_tui.runtime.gpu import read_gpus

        state = read_gpus(ttl=1.0)
        self.app.call_from_thread(self.query_one("#gpu", GpuPanel).show, state)

    # ------------------------------------------------------------------ stages
    def refresh_stages(self) -> None:
        from tao_tui.workflow.stages import Pipeline

        self.project = Project.load(self.root)
        pipe = Pipeline.for_project(self.project)
        rows = [(s.id, (self.project.stages.get(s.id).status if self.project.stages.get(s.id) else "pending"))
                for s in pipe.stages]
        self.query_one("#stages", StageList).show(rows)
        self.show_command()

    def current_stage(self) -> str | None:
        return self.query_one("#stages", StageList).selected_stage

    def stage_command(self, stage: str):
        from tao_tui.workflow.commands import build_command
        from tao_tui.workflow.stages import Pipeline

        return build_command(Pipeline.for_project(self.project), stage, have_key=True)

    def show_command(self) -> None:
        stage = self.current_stage()
        box = self.query_one("#command", Static)
        if not stage:
            box.update("")
            return
        try:
            cmd = self.stage_command(stage)
            st = self.project.stages.get(stage)
            extra = f"  [dim]({st.status}{': ' + st.message if st and st.message else ''})[/]" if st else ""
            outputs = "".join(f"\n[green]→ {name}[/] {path}" for name, path in (st.outputs if st else {}).items())
            box.update(f"[b]$[/b] {cmd.display}{extra}{outputs}")
        except TaoTuiError as err:
            box.update(f"[red]{err}[/]")

    def on_option_list_option_highlighted(self, event) -> None:
        self.show_command()
        stage = self.current_stage()
        run_id = self.project.latest_run(stage) if stage else None
        if run_id and run_id != self._shown_run:
            self.show_run(run_id)

    def show_run(self, run_id: str) -> None:
        """Put the tail of run ``run_id``'s log (from disk) in the log pane; live lines follow it."""
        from tao_tui.runtime.runner import tail_lines

        log = self.query_one("#log", LogPane)
        self._shown_run = run_id
        log.clear()
        log.buffer.drain()
        st = self.project.stages.get(run_stage(run_id) or "")
        state = f" ({st.status})" if st and st.run_id == run_id else ""
        log.buffer.extend([f"── run {run_id}{state} ──", *tail_lines(self.project.run_dir(run_id) / "log")])

    # ------------------------------------------------------------------ actions
    def action_copy(self) -> None:
        stage = self.current_stage()
        if stage:
            text = self.stage_command(stage).display
            self.app.copy_to_clipboard(text)
            self.notify(f"copied: {text}", timeout=6)

    def action_run(self) -> None:
        stage = self.current_stage()
        if not stage:
            return
        try:
            needs_key = self.stage_command(stage).needs_key
        except TaoTuiError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        if needs_key and not self.key and _tao_version(self.project) < (5,):
            from tao_tui.ui.screens.key_prompt import KeyPrompt

            def got(key: str | None) -> None:
                if key:
                    self.key = key
                    self._start(stage)

            self.app.push_screen(KeyPrompt(), got)
            return
        self._start(stage)

    def _start(self, stage: str) -> None:
        self.query_one("#log", LogPane).clear()
        self.query_one("#progress", ProgressPanel).reset()
        self.query_one("#tabs", TabbedContent).active = "tab-log"
        self.run_stage(stage, self.key)

    def action_stop(self) -> None:
        stage = self.current_stage()
        if stage:
            self.stop_stage(stage)

    def action_preflight(self) -> None:
        self.run_preflight()

    def action_diff(self) -> None:
        """The selected stage's spec against NVIDIA's file: only the user's values should differ."""
        import difflib

        from tao_tui.specs.netdef import load_network

        stage = self.current_stage()
        net = load_network(self.project.network)
        spec = net.stage(stage).spec if stage else None
        log = self.query_one("#log", LogPane)
        self._shown_run = None
        log.clear()
        self.query_one("#tabs", TabbedContent).active = "tab-log"
        if not spec:
            log.buffer.extend([f"{stage} has no spec file: it runs on the flags shown above."])
            return
        ours = (self.project.specs_dir / spec).read_text(encoding="utf-8").splitlines()
        nvidia = (net.folder / spec).read_text(encoding="utf-8").splitlines()
        diff = list(difflib.unified_diff(nvidia, ours, f"NVIDIA {spec}", f"project {spec}", lineterm="", n=1))
        log.buffer.extend([f"── {spec}: what differs from NVIDIA's file ──", *(diff or ["(nothing: NVIDIA's file as is)"])])

    # ------------------------------------------------------------------ workers
    def _sink(self, run_id: str):
        """Where a worker puts a run's lines and events: on screen only while that run is shown."""
        log = self.query_one("#log", LogPane)
        progress = self.query_one("#progress", ProgressPanel)

        def sink(lines, events):
            if self._shown_run == run_id:
                log.buffer.extend(lines)
                if events:
                    progress.push(events)

        return sink

    @work(thread=True, group="runs")
    def run_stage(self, stage: str, key: str | None) -> None:
        from tao_tui.runtime.runner import StageRunner, preflight_gate

        try:
            project = Project.load(self.root)
            warnings = preflight_gate(project, stage, key_set=bool(key))
            runner = StageRunner(project)
            if runner.leftovers(stage):
                warnings.append(f"results/{stage} holds an earlier run: TAO resumes from its last checkpoint "
                                f"(to start over: tao-tui run {stage} --fresh)")
            record = runner.start(stage, key)
            self._shown_run = record.run_id
            self.query_one("#log", LogPane).buffer.extend(
                [f"$ {record.command}", *(line for w in warnings for line in str(w).splitlines())])
            self.post_message(StageStarted(stage, record.run_id, record.command))
            if runner.attach(record.run_id, self._sink(record.run_id), stop=self._leaving) is None:
                return  # the wizard is closing; the stage runs on
            st = runner.project.stages[stage]
            self.post_message(StageFinished(stage, record.run_id, st.status, st.message))
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))

    @work(thread=True, group="runs")
    def reattach(self) -> None:
        """After an SSH drop: find this project's containers and follow them on."""
        from tao_tui.runtime.runner import AlreadyAttached, StageRunner

        try:
            runner = StageRunner(Project.load(self.root))
            runs = runner.unfinished()
        except TaoTuiError:
            return  # no engine now: nothing to re-attach; `r` explains what is wrong
        for run_id in runs:
            stage = run_stage(run_id) or run_id
            self.post_message(StageStarted(stage, run_id, "re-attached"))
            self.app.call_from_thread(self.show_run, run_id)
            try:
                if runner.attach(run_id, self._sink(run_id), stop=self._leaving) is None:
                    return
                st = runner.project.stages[stage]
                self.post_message(StageFinished(stage, run_id, st.status, st.message))
            except AlreadyAttached:
                self.post_message(WorkerError(f"run {run_id} is followed by another tao-tui process"))
            except TaoTuiError as err:
                self.post_message(WorkerError(str(err)))

    @work(thread=True, group="stop")
    def stop_stage(self, stage: str) -> None:
        from tao_tui.runtime.runner import StageRunner

        try:
            stopped = StageRunner(Project.load(self.root)).stop(stage)
            self.post_message(WorkerError(f"stopped {', '.join(stopped)}" if stopped else f"{stage} is not running"))
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))

    @work(thread=True, group="preflight")
    def run_preflight(self) -> None:
        from tao_tui.preflight import preflight

        try:
            findings = preflight(Project.load(self.root), key_set=bool(self.key))
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))
            return
        self.query_one("#log", LogPane).buffer.extend(
            ["── pre-flight ──", *(line for f in findings for line in str(f).splitlines())])

    def on_stage_started(self, msg: StageStarted) -> None:
        self.refresh_stages()
        self.notify(f"{msg.stage}: {msg.command}", timeout=6)

    def on_stage_finished(self, msg: StageFinished) -> None:
        self.refresh_stages()
        if self._shown_run == msg.run_id:
            self.query_one("#log", LogPane).buffer.extend(
                [f"── {msg.stage} {msg.status}" + (f": {msg.message}" if msg.message else "") + " ──"])
        sev = "information" if msg.status == "done" else "error"
        self.notify(f"{msg.stage} {msg.status}" + (f": {msg.message}" if msg.message else ""), severity=sev,
                    timeout=10)

    def on_worker_error(self, msg: WorkerError) -> None:
        lines = msg.text.splitlines()
        if len(lines) > 1:  # the whole text (e.g. every pre-flight problem with its fix) goes to the log pane
            self.query_one("#log", LogPane).buffer.extend(["── problem ──", *lines])
            self.query_one("#tabs", TabbedContent).active = "tab-log"
        self.notify(lines[0] + (" (details in the log pane)" if len(lines) > 1 else ""), severity="warning",
                    timeout=12)

    # ------------------------------------------------------------------ parameters
    def load_params(self) -> None:
        from tao_tui.specs import load_spec
        from tao_tui.specs.netdef import load_network
        from tao_tui.specs.params import ParamSet

        net = load_network(self.project.network)
        docs = {p.name: load_spec(p) for p in sorted(self.project.specs_dir.glob("*")) if p.is_file()}
        pset = ParamSet(net, docs, unlocked=set(self.project.unlocked))
        table = self.query_one("#params", DataTable)
        table.clear(columns=True)
        table.add_columns("", "parameter", "value", "spec file")
        self._rows = [r for r in pset.describe()]
        # editable first, then everything else locked at NVIDIA's value
        self._rows.sort(key=lambda r: r.state == "locked")
        for r in self._rows:
            value = _short(r.value)
            table.add_row(STATE_MARK.get(r.state, r.state), r.path,
                          f"[dim]{value}[/]" if r.state == "locked" else f"[b]{value}[/b]", f"[dim]{r.spec}[/]")

    def _selected_row(self):
        table = self.query_one("#params", DataTable)
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = self._selected_row()
        if row is None:
            return
        msg = self.query_one("#param-msg", Static)
        if self._saved and self._saved[0] == row.key:
            msg.update(self._saved[1])
        elif row.state == "locked":
            msg.update(f"[dim]{row.path} is locked at NVIDIA's default ({_short(row.value)}).[/]")
        else:
            bounds = f" · range {row.bounds[0]}..{row.bounds[1]}" if row.bounds else ""
            msg.update(f"[b]{row.path} = {_short(row.value)}[/] · {row.help}{bounds}  [dim](e to edit)[/]")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        self.query_one("#tabs", TabbedContent).active = "tab-params"
        if row.state == "locked":
            self.query_one("#param-msg", Static).update(
                f"[b]{row.path}[/b] is locked at NVIDIA's default ({_short(row.value)}): NVIDIA tuned it; "
                "change only the ✎ values.")
            return
        inp = self.query_one("#param-input", Input)
        inp.value = _as_text(row.value)
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "param-input":
            return
        row = self._selected_row()
        if row is None:
            return
        from tao_tui.workflow.create import set_param

        msg = self.query_one("#param-msg", Static)
        try:
            project = set_param(self.root, row.key, event.value)  # validated, specs written, saved
        except TaoTuiError as err:
            msg.update(f"[b red]{err}[/]")
            return
        self.project = project
        text = f"[green]saved {row.path} = {event.value}[/]"
        for notice in project.notices:
            text += f"\n[yellow]note:[/] {notice}"
        self._saved = (row.key, text)
        msg.update(text)
        self.load_params()
        table = self.query_one("#params", DataTable)
        index = next((i for i, r in enumerate(self._rows) if r.key == row.key), 0)
        table.move_cursor(row=index)
        self.show_command()
        table.focus()


def _short(value, limit: int = 60) -> str:
    text = _as_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_text(value) -> str:
    """A value as the user types it: class pairs as ``car:car, truck:car``."""
    if isinstance(value, (list, tuple)):
        return ", ".join(":".join(map(str, x)) if isinstance(x, (list, tuple)) else str(x) for x in value)
    return str(value)


def _tao_version(project: Project) -> tuple[int, ...]:
    from tao_tui.workflow.stages import version_tuple

    return version_tuple(project.tao_version)
