"""Steps 3-5: edit the safe parameters, run each stage, watch it, copy its `tao` command.

The screen paints first and loads what is hidden after (parameters, the latest run's log and
progress, the re-attach, the GPU watcher). Workers report with the typed messages of
tao_tui.ui.messages; nothing polls while nothing can change.
"""

from __future__ import annotations

import os
import shlex
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane

from tao_tui.errors import TaoTuiError
from tao_tui.project import Project, run_stage
from tao_tui.ui.messages import GpuChanged, StageFinished, StageStarted, WorkerError
from tao_tui.ui.widgets.curves import Curves
from tao_tui.ui.widgets.gpu_panel import GpuPanel
from tao_tui.ui.widgets.log_pane import LogPane
from tao_tui.ui.widgets.progress_panel import ProgressPanel
from tao_tui.ui.widgets.stage_list import StageList

if TYPE_CHECKING:
    from tao_tui.ui.widgets.param_tree import ParamTree

# plain-width marks (emoji are two cells wide in some terminals and none in others)
STATE_MARK = {"editable": "✎ edit", "changed": "✎ yours", "unlocked": "UNLOCKED", "locked": "[dim]locked[/]"}
GPU_EVERY_S = 2.0
WRAP_BELOW = 100  # terminal columns below which the log pane starts with wrap on
POLL_S = 0.25  # the watcher's reads of a live run's files (the log pane still draws ≤ 1 / FLUSH_S a second)
LOG_KEYS = "{state}  [dim]f follow · / search · w wrap · o pager · S save[/]"


def _project_commands():
    """The command palette's provider, imported when the palette opens (textual.command costs
    ~20 ms of the first frame otherwise)."""
    from tao_tui.ui.palette import ProjectCommands

    return ProjectCommands


class ProjectScreen(Screen):
    COMMANDS = {_project_commands}
    BINDINGS = [
        Binding("r", "run", "run"),
        Binding("s", "stop", "stop"),
        Binding("c", "copy", "copy cmd"),
        Binding("v", "results", "results"),
        Binding("e", "edit", "edit value", show=False),
        Binding("p", "preflight", "checks"),
        Binding("d", "diff", "diff vs NVIDIA", show=False),
        Binding("1", "show_tab('tab-log')", "log", show=False),
        Binding("2", "show_tab('tab-curves')", "curves", show=False),
        Binding("3", "show_tab('tab-params')", "parameters", show=False),
        Binding("f", "follow", "follow/pause", show=False),
        Binding("slash", "search", "search log", show=False),
        Binding("n", "next_match(1)", "next match", show=False),
        Binding("N", "next_match(-1)", "previous match", show=False),
        Binding("w", "wrap", "wrap log", show=False),
        Binding("o", "pager", "log in $PAGER", show=False),
        Binding("S", "save_log", "save log copy", show=False),
        Binding("i", "preview", "inference images", show=False),
        Binding("t", "shell", "shell in container", show=False),
        Binding("k", "key", "enter the key", show=False),
        Binding("x", "export", "export script", show=False),
        Binding("question_mark", "app.help", "help"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self, root: Path, *, followers: dict | None = None):
        """``followers``: run id -> follower process already started for this project (run_app)."""
        super().__init__()
        self.root = Path(root)
        self.project = Project.load(self.root)
        self._project_mtime: int | None = None  # project.yaml's when self.project was last re-read
        self.key: str | None = os.environ.get("KEY") or None
        self._rows: list = []
        self._saved: tuple[str, str] | None = None  # (key, text) of the last saved value
        self._shown_run: str | None = None  # the run whose log the log pane shows
        self._starting: set[str] = set()  # stages whose start is in flight (a second r waits for it)
        # runs are followed by follower processes (tao_tui.runtime.follower); one watcher thread
        # reads what they write. Under _sink_lock: the shown run's reader, the live runs, the watcher
        self._sink_lock = threading.Lock()
        self._tail = None  # RunTail of the shown run
        self._live: dict[str, tuple[str, object]] = {  # run id -> (stage, follower Popen or None)
            run_id: (run_stage(run_id) or run_id, proc) for run_id, proc in (followers or {}).items() if proc}
        self._intro: dict[str, list[str]] = {}  # run id -> lines shown above its log (command, warnings)
        self._watching = False
        self._watch_wake = threading.Event()
        # set when the wizard goes: the watcher and the GPU reader end; followers and containers go on
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
                    with TabPane("1 Log", id="tab-log"):
                        yield Static(LOG_KEYS.format(state="following"), id="log-state")
                        yield LogPane(id="log")
                    with TabPane("2 Curves", id="tab-curves"):
                        yield Curves(id="curves")
                    with TabPane("3 Parameters", id="tab-params"):
                        # the tree (and the spec stack it imports) is mounted after the first frame
                        yield Static("[dim]loading the parameters…[/]", id="params-loading")
        yield Footer()

    DEFAULT_CSS = """
    ProjectScreen #log-state { height: 1; padding: 0 1; color: $text-muted; background: $boost; }
    """

    def on_unmount(self) -> None:
        self._leaving.set()

    def on_mount(self) -> None:
        self.title = f"tao-tui · {self.project.network} · TAO {self.project.tao_version}"
        self.sub_title = str(self.root)
        from tao_tui.specs.netdef import project_network, verified_note

        if note := verified_note(project_network(self.project)):  # no public NVIDIA source: say so
            self.sub_title = f"{self.root} · {note}"
        self._reattach_runs = self.start_followers()
        self.refresh_stages()
        self.query_one("#stages", StageList).focus()
        self.query_one("#progress", ProgressPanel).listeners.append(self.query_one("#curves", Curves).update)
        from tao_tui.specs.downloaded import download_note

        self.query_one("#log", LogPane).buffer.extend([
            *filter(None, [download_note(self.project)]),  # conversational: the download step, plainly
            "Pick a stage on the left: r runs it in its TAO container, c copies its tao command.",
            "The Parameters tab shows every spec value: ✎ ones are yours to change, the rest stay NVIDIA's.",
        ])
        if self.app.size.width < WRAP_BELOW:  # a narrow terminal: long lines wrap (w turns it off)
            self.query_one("#log", LogPane).toggle_wrap()
        # the first frame first; then what is hidden (parameters), then the engine and GPUs
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.reattach()
        self.watch_gpus()
        self._mount_params()

    def _mount_params(self) -> None:
        """The Parameters tree, once its tab pane is in the DOM (then its values load, off the UI
        thread)."""
        from tao_tui.ui.widgets.param_tree import ParamTree

        pane = self.query_one("#tab-params", TabPane)
        if not pane.is_attached:  # TabbedContent moves its panes in when it mounts
            self.call_after_refresh(self._mount_params)
            return
        self.query_one("#params-loading").remove()
        pane.mount(ParamTree(self.root, id="params", autoload=False))
        self.call_after_refresh(self.load_params)

    def log_state_changed(self, text: str) -> None:
        """The log pane's state line: following/paused, wrap, search and its match count."""
        if self.is_mounted:
            self.query_one("#log-state", Static).update(LOG_KEYS.format(state=text), layout=False)

    @work(thread=True, exclusive=True, group="gpu")
    def watch_gpus(self) -> None:
        """One thread for the GPU panel: a read every 2 s, a message only when the text changes;
        with no GPU (nothing can change) it reads once and ends."""
        from tao_tui.runtime.gpu import read_gpus
        from tao_tui.ui.widgets.gpu_panel import gpu_text

        shown = None
        while not self._leaving.is_set():
            state = read_gpus(ttl=GPU_EVERY_S / 2)
            text = gpu_text(state)
            if text != shown:
                shown = text
                self.post_message(GpuChanged(state))
            if not state.gpus:
                return
            self._leaving.wait(GPU_EVERY_S)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Curves are drawn only while their tab shows (they keep their points meanwhile)."""
        if event.tabbed_content.id == "tabs":
            self.query_one("#curves", Curves).set_shown(event.pane.id == "tab-curves")
            if event.pane.id == "tab-params":
                self._params_follow_stage()

    def _params_follow_stage(self) -> None:
        """The Parameters tab opens at the selected stage's spec file."""
        from tao_tui.specs.netdef import project_network

        stage, trees = self.current_stage(), self.query("#params")
        if not stage or not trees:
            return
        try:
            spec = project_network(self.project).stage(stage).spec
        except TaoTuiError:
            return
        if spec:
            trees.first().show_spec(spec)

    def on_gpu_changed(self, msg: GpuChanged) -> None:
        self.query_one("#gpu", GpuPanel).show(msg.state)

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
            more = "  [dim](v results)[/]" if st and st.status in ("done", "failed") else ""
            box.update(f"[b]$[/b] {cmd.display}{extra}{more}{outputs}")
        except TaoTuiError as err:
            box.update(f"[red]{err}[/]")

    def on_option_list_option_highlighted(self, event) -> None:
        self._reload_if_changed()  # a stage started or ended from another shell shows here too
        self.show_command()
        stage = self.current_stage()
        run_id = self.project.latest_run(stage) if stage else None
        if run_id and run_id != self._shown_run:
            self.show_run(run_id)
        if self.query_one("#tabs", TabbedContent).active == "tab-params":
            self._params_follow_stage()
        progress = self.query_one("#progress", ProgressPanel)
        if stage and not run_id and self._shown_run:  # the pane keeps the last run shown: say whose
            shown = run_stage(self._shown_run) or self._shown_run
            progress.set_note(f"[b]{stage}[/] has not run yet (r runs it) · below: {shown}'s last run")
        else:
            progress.set_note(None)

    def _reload_if_changed(self) -> None:
        """Read project.yaml again when it changed on disk (one stat when it did not)."""
        try:
            mtime = (self.root / "project.yaml").stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._project_mtime:
            try:
                self.project = Project.load(self.root)
            except TaoTuiError:
                return
            self._project_mtime = mtime

    def show_run(self, run_id: str) -> None:
        """Show run ``run_id``: the tail of its log and its progress (events.jsonl) from disk, its
        recorded result once it has ended; while it runs, new lines and events follow (the watcher
        reads them as the run's follower writes them). A run that has no result yet gets a
        follower if it has none (started from another shell, or before an SSH drop)."""
        from tao_tui.runtime.tail import RunTail

        run_dir = self.project.run_dir(run_id)
        with self._sink_lock:
            self._shown_run = run_id
            self._tail = RunTail(run_dir, keep=self.query_one("#log", LogPane).max_lines)
        if run_id not in self._live and not (run_dir / "result.json").exists() and (run_dir / "run.json").exists():
            self._follow(run_stage(run_id) or run_id, run_id)
        self._ensure_watcher()

    def _show_nothing(self) -> None:
        """The log pane is about to show something that is not a run (a diff, a start)."""
        with self._sink_lock:
            self._shown_run = None
            self._tail = None

    # ------------------------------------------------------------------ actions
    def action_copy(self, text: str | None = None) -> None:
        from tao_tui.ui.clipboard import clipboard_problem

        stage = self.current_stage()
        if text is None:
            if not stage:
                return
            text = self.stage_command(stage).display
        self.app.copy_to_clipboard(text)
        problem = clipboard_problem()
        if problem:
            from tao_tui.ui.screens.copy_text import CopyTextScreen

            self.app.push_screen(CopyTextScreen(text, f"[b yellow]sent to the clipboard (OSC 52)[/], but: {problem}"))
        else:
            self.notify(f"sent to the clipboard (OSC 52; your terminal must allow it): {text}", timeout=6)

    def action_run(self, stage: str | None = None) -> None:
        stage = stage or self.current_stage()
        if not stage:
            return
        if stage in self._starting:
            self.notify(f"{stage} is being started: one run of a stage at a time", severity="warning")
            return
        st = self.project.stages.get(stage)
        if st and st.status == "running" and st.run_id:
            self._already_running(stage, st.run_id)
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

    def _already_running(self, stage: str, run_id: str | None) -> None:
        self.notify(f"{stage} is already running" + (f" (run {run_id}): showing it" if run_id else "")
                    + "; s stops it", severity="warning", timeout=8)
        if run_id and run_id != self._shown_run:
            self.show_run(run_id)
        self.query_one("#tabs", TabbedContent).active = "tab-log"

    def _start(self, stage: str, *, skip_checks: bool = False, fresh: bool | None = None) -> None:
        """Start ``stage``; ``skip_checks`` and ``fresh`` are the CLI's --skip-checks and --fresh
        (``fresh`` None: ask when results/<stage> holds an earlier run)."""
        self._starting.add(stage)
        self._show_nothing()
        self.query_one("#log", LogPane).show_lines([f"── starting {stage} ──"])
        self.query_one("#progress", ProgressPanel).reset()
        self.query_one("#tabs", TabbedContent).active = "tab-log"
        self.run_stage(stage, self.key, skip_checks, fresh)

    def _ask_preflight(self, stage: str, problems: str, fresh: bool | None) -> None:
        """Pre-flight failed: the problems stay in the log pane; the user fixes them or runs anyway."""
        from tao_tui.ui.screens.choice import ChoiceDialog

        self.query_one("#log", LogPane).buffer.extend(["── pre-flight ──", *problems.splitlines()])

        def chosen(answer: str | None) -> None:
            if answer == "skip":
                self._start(stage, skip_checks=True, fresh=fresh)
            elif answer == "key":
                self.action_key(then_run=stage)

        answers = [("fix", "Fix them first (Esc)", "primary")]
        if "KEY" in problems and not self.key:  # a key the model needs: enter it here (memory only)
            answers.append(("key", "Enter the key (k)", "warning"))
        answers.append(("skip", "Run anyway (--skip-checks)", "error"))
        self.app.push_screen(ChoiceDialog(
            f"{stage} did not start: pre-flight found problems (each says how to fix it; also in the log)",
            problems, answers), chosen)

    def action_key(self, then_run: str | None = None) -> None:
        """`k`: the encryption key for this session (memory only, never written; as $KEY)."""
        from tao_tui.ui.screens.key_prompt import KeyPrompt

        def got(key: str | None) -> None:
            if key:
                self.key = key
                self.notify("key set for this session (kept in memory only)", timeout=4)
                if then_run:
                    self._start(then_run)

        self.app.push_screen(KeyPrompt(), got)

    def _ask_leftovers(self, stage: str, names: list[str], skip_checks: bool) -> None:
        """results/<stage> holds an earlier run: resume from it (TAO's way) or start over (--fresh)."""
        from tao_tui.ui.screens.choice import ChoiceDialog

        shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")

        def chosen(answer: str | None) -> None:
            if answer in ("resume", "fresh"):
                self._start(stage, skip_checks=skip_checks, fresh=answer == "fresh")

        self.app.push_screen(ChoiceDialog(
            f"results/{stage} holds an earlier run",
            f"It has: {shown}.\nResume: TAO goes on from its last checkpoint (what `tao` does).\n"
            f"Start over: tao-tui moves those files aside (nothing is deleted) and {stage} starts afresh.",
            [("resume", "Resume", "primary"), ("fresh", "Start over (--fresh)", "warning"),
             ("cancel", "Cancel (Esc)", "default")],
        ), chosen)

    def action_show_tab(self, tab: str) -> None:
        """1 / 2 / 3: the Log, Curves or Parameters tab. Focus inside the tab being left goes to
        the stage list first (TabbedContent shows the pane that holds the focus: it would stay)."""
        tabs = self.query_one("#tabs", TabbedContent)
        focused = self.app.focused
        if focused is not None and tabs in focused.ancestors and tab != tabs.active:
            self.query_one("#stages", StageList).focus()
        tabs.active = tab

    def action_stop(self, stage: str | None = None) -> None:
        """s: stop the stage after a confirmation (a slip must not end hours of training)."""
        from tao_tui.ui.screens.choice import ChoiceDialog

        stage = stage or self.current_stage()
        if not stage:
            return
        st = self.project.stages.get(stage)
        if not (st and st.status == "running"):
            self.stop_stage(stage)  # nothing running: the worker says so
            return

        def chosen(answer: str | None) -> None:
            if answer == "stop":
                self.stop_stage(stage)

        self.app.push_screen(ChoiceDialog(
            f"Stop {stage}?",
            f"The container gets SIGINT, then is stopped. What {stage} wrote so far stays in results/{stage}: "
            "running it again resumes from its last checkpoint.",
            [("keep", "Keep it running (Esc)", "primary"), ("stop", f"Stop {stage}", "error")],
        ), chosen)

    def action_preflight(self) -> None:
        self.run_preflight()

    def action_diff(self) -> None:
        """The selected stage's spec against NVIDIA's file: only the user's values should differ."""
        import difflib

        from tao_tui.specs.netdef import load_network

        stage = self.current_stage()
        net = load_network(self.project.network, version=self.project.tao_version)
        spec = net.stage(stage).spec if stage else None
        log = self.query_one("#log", LogPane)
        self._show_nothing()
        self.query_one("#tabs", TabbedContent).active = "tab-log"
        if not spec:
            log.show_lines([f"{stage} has no spec file: it runs on the flags shown above."])
            return
        ours = (self.project.specs_dir / spec).read_text(encoding="utf-8").splitlines()
        nvidia = (net.folder / spec).read_text(encoding="utf-8").splitlines()
        diff = list(difflib.unified_diff(nvidia, ours, f"NVIDIA {spec}", f"project {spec}", lineterm="", n=1))
        log.show_lines([f"── {spec}: what differs from NVIDIA's file ──", *(diff or ["(nothing: NVIDIA's file as is)"])])

    # --- the log pane (k9s-like keys)
    def action_follow(self) -> None:
        on = self.query_one("#log", LogPane).toggle_follow()
        self.notify("following the log" if on else "log paused (f follows again)", timeout=2)

    def action_wrap(self) -> None:
        self.query_one("#log", LogPane).toggle_wrap()

    def _params_shown(self):
        """The Parameters tree while its tab shows (and its values are read), else None."""
        trees = self.query("#params")
        if self.query_one("#tabs", TabbedContent).active != "tab-params" or not trees or not trees.first().loaded:
            return None
        return trees.first()

    def action_search(self) -> None:
        """`/`: search the Parameters tab while it shows (parameter names), else the log."""
        from tao_tui.ui.screens.search import SearchScreen

        tree = self._params_shown()
        if tree is not None:
            self.app.push_screen(SearchScreen(tree, tree.pattern, what="the parameter names", unit="values"))
            return
        log = self.query_one("#log", LogPane)
        self.query_one("#tabs", TabbedContent).active = "tab-log"
        self.app.push_screen(SearchScreen(log, log.pattern))

    def action_next_match(self, step: int) -> None:
        tree = self._params_shown()
        if tree is not None:
            if tree.next_match(step) is None:
                self.notify("no match: / searches the parameter names", timeout=3)
            return
        log = self.query_one("#log", LogPane)
        if log.next_match(step) is None:
            self.notify("no match: / searches the log" if log.pattern else "/ searches the log", timeout=3)

    def _shown_log(self) -> Path | None:
        if not self._shown_run:
            return None
        path = self.project.run_dir(self._shown_run) / "log"
        return path if path.is_file() else None

    def action_pager(self) -> None:
        """The whole run log (from disk, every line) in ``$PAGER`` (default ``less -R``); the app
        is suspended meanwhile."""
        import subprocess

        from textual.app import SuspendNotSupported

        path = self._shown_log()
        if path is None:
            self.notify("no run log shown: pick a stage that has run", timeout=4)
            return
        argv = [*shlex.split(os.environ.get("PAGER") or "less -R"), str(path)]
        try:
            with self.app.suspend():
                subprocess.run(argv, check=False)
        except SuspendNotSupported:
            self.notify(f"this terminal can't hand over to a pager: {shlex.join(argv)}", timeout=8)
        except OSError as err:
            self.notify(f"can't start the pager {argv[0]}: {err.strerror} (set $PAGER)", severity="error")

    def action_save_log(self) -> None:
        """A copy of the shown run's whole log (timestamps stripped) in ``<project>/logs/``; or of
        what the pane shows (a diff, pre-flight) when no run is shown."""
        from tao_tui.project import atomic_write
        from tao_tui.runtime.tail import strip_ts

        log = self.query_one("#log", LogPane)
        path = self._shown_log()
        name = f"{self._shown_run}.log" if path else "pane.log"
        out = self.root / "logs" / name
        try:
            out.parent.mkdir(exist_ok=True)
            if path:
                with path.open(encoding="utf-8", errors="replace") as fh:
                    atomic_write(out, "".join(strip_ts(raw) + "\n" for raw in fh))
            else:
                atomic_write(out, "\n".join(log.lines) + "\n")
        except OSError as err:
            self.notify(f"can't write {out}: {err.strerror}", severity="error")
            return
        self.notify(f"saved a copy: {out}", timeout=6)

    # --- results, preview, shell, export
    def action_results(self, stage: str | None = None) -> None:
        from tao_tui.ui.screens.results import ResultsScreen

        stage = stage or self.current_stage()
        if stage:
            self.app.push_screen(ResultsScreen(self.root, stage), lambda _=None: self.refresh_stages())

    def action_preview(self, stage: str | None = None) -> None:
        from tao_tui.ui.screens.preview import PreviewScreen

        stage = stage or self.current_stage()
        if stage and "inference" not in stage:
            stage = next((s for s, _ in self._stage_rows() if "inference" in s), stage)
        if stage:
            self.app.push_screen(PreviewScreen(self.root, stage))

    def _stage_rows(self) -> list[tuple[str, str]]:
        from tao_tui.workflow.stages import Pipeline

        return [(s.id, "") for s in Pipeline.for_project(self.project).stages]

    def action_shell(self, stage: str | None = None) -> None:
        """An interactive shell in the network's container (the stages' mounts, user, env; no
        key), through the docker CLI while the app is suspended."""
        import subprocess

        from textual.app import SuspendNotSupported

        from tao_tui.runtime.shell import shell_argv

        try:
            argv = shell_argv(Project.load(self.root), stage or self.current_stage())
        except TaoTuiError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        try:
            with self.app.suspend():
                print(f"tao-tui: a shell in {self.project.image} (exit returns to tao-tui)\n$ {shlex.join(argv)}",
                      flush=True)
                subprocess.run(argv, check=False)
        except SuspendNotSupported:
            self.action_copy(shlex.join(argv))
        except OSError as err:
            self.notify(f"can't start {argv[0]}: {err.strerror}", severity="error")

    def action_export(self) -> None:
        from tao_tui.commands.export_script import write_script

        try:
            path = write_script(Project.load(self.root))
        except (TaoTuiError, OSError) as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        self.notify(f"wrote {path}: every stage's tao line, in order (KEY=... bash {shlex.quote(str(path))})",
                    timeout=10)

    def action_doctor(self) -> None:
        self.run_doctor()

    def action_open_project(self) -> None:
        """Back to the start screen (recent projects, open a folder); running stages go on."""
        from tao_tui.ui.screens.start import StartScreen

        self.app.push_screen(StartScreen(getattr(self.app, "version", None)))

    def palette_commands(self) -> list[tuple[str, str, object]]:
        """Every action for the command palette: (title, help, callback); per stage where it applies."""
        from functools import partial

        out: list[tuple[str, str, object]] = []
        for stage, _ in self._stage_rows():
            out += [
                (f"run {stage}", f"start {stage} in its TAO container", partial(self.action_run, stage)),
                (f"stop {stage}", f"stop {stage}'s running container", partial(self.action_stop, stage)),
                (f"copy {stage} command", f"copy {stage}'s exact tao line",
                 partial(self._copy_stage, stage)),
                (f"results of {stage}", "status, exit code, KPIs, output files", partial(self.action_results, stage)),
                (f"open {stage} log", f"show {stage}'s latest run log", partial(self._open_log, stage)),
                (f"shell in {stage}'s container", "interactive shell with the project's mounts",
                 partial(self.action_shell, stage)),
            ]
        out += [
            ("export script", "write every stage's tao line as a bash script", self.action_export),
            ("diff spec vs NVIDIA", "the selected stage's spec against NVIDIA's file", self.action_diff),
            ("pre-flight checks", "dataset, spec paths, pretrained model", self.action_preflight),
            ("doctor", "engine, GPU runtime, login, mounts, disk", self.action_doctor),
            ("inference preview", "the annotated images the inference stage wrote", self.action_preview),
            ("open the log in $PAGER", "the whole run log, every line", self.action_pager),
            ("save a copy of the log", "into <project>/logs/", self.action_save_log),
            ("open another project", "back to the start screen", self.action_open_project),
            ("edit a value", "the Parameters tab, editing the selected value (e)", self.action_edit),
            ("search the log", "highlight every line holding a text; n / N move (/)", self.action_search),
            ("wrap the log", "long lines continue on the next rows (w)", self.action_wrap),
            ("follow / pause the log", "stick to the newest line, or stop there (f)", self.action_follow),
            ("enter the encryption key", "for this session, in memory only, as $KEY (k)", self.action_key),
            ("help", "every key and what it does (?)", self.app.action_help),
        ]
        return out

    def _copy_stage(self, stage: str) -> None:
        try:
            self.action_copy(self.stage_command(stage).display)
        except TaoTuiError as err:
            self.notify(str(err), severity="error")

    def _open_log(self, stage: str) -> None:
        run_id = self.project.latest_run(stage)
        if run_id:
            self.query_one("#tabs", TabbedContent).active = "tab-log"
            self.show_run(run_id)
        else:
            self.notify(f"{stage} has not run yet", timeout=4)

    # ------------------------------------------------------------------ workers
    def _follow(self, stage: str, run_id: str, *, watch: bool = True) -> None:
        """Have a follower process record run ``run_id`` (it exits at once when another process
        already follows it); the watcher tells when the run ends (``watch``: start it now)."""
        from tao_tui.runtime.follower import spawn

        if run_id in self._live:
            if watch:
                self._ensure_watcher()
            return

        run_dir = self.project.run_dir(run_id)
        try:
            proc = spawn(self.root, run_dir)
        except OSError as err:
            proc = None
            self.post_message(WorkerError(
                f"could not start the follower of {stage} run {run_id} ({err.strerror or err}); the stage runs on: "
                f"`tao-tui logs -f {shlex.quote(stage)} --project {shlex.quote(str(self.root))}` follows it"))
        with self._sink_lock:
            self._live[run_id] = (stage, proc)
        if watch:
            self._ensure_watcher()

    def _ensure_watcher(self) -> None:
        with self._sink_lock:
            if self._watching:
                self._watch_wake.set()
                return
            self._watching = True
        self.watch_runs()

    @work(thread=True, group="watch")
    def watch_runs(self) -> None:
        """One thread reads what the followers write, every ``POLL_S``: the shown run's
        new lines and events (to the log pane and the progress panel) and the end of every live
        run (result.json). It ends when no run is live and the shown run has ended."""
        from tao_tui.runtime.follower import last_error

        while not self._leaving.is_set():
            self._watch_wake.clear()
            with self._sink_lock:
                tail, live = self._tail, dict(self._live)
            if tail is not None and not tail.ended:
                batch = tail.poll()
                self._deliver(tail, batch)
            for run_id, (stage, proc) in live.items():
                run_dir = self.project.run_dir(run_id)
                if (run_dir / "result.json").exists():
                    with self._sink_lock:
                        self._live.pop(run_id, None)
                    if tail is not None and tail.run_id == run_id and not tail.ended:
                        self._deliver(tail, tail.poll())  # its last lines before its end
                    self._finished(stage, run_id)
                elif proc is not None and proc.poll() is not None:
                    if proc.returncode == 0:  # another process follows it: watch for its result
                        with self._sink_lock:
                            self._live[run_id] = (stage, None)
                        continue
                    with self._sink_lock:
                        self._live.pop(run_id, None)
                    why = last_error(run_dir) or f"the follower exited with code {proc.returncode}"
                    self.post_message(WorkerError(
                        f"{stage} run {run_id}: no longer followed: {why}\n"
                        f"The container runs on; `tao-tui logs -f {shlex.quote(stage)} --project "
                        f"{shlex.quote(str(self.root))}` follows it again (or select the stage here)"))
            with self._sink_lock:
                # nothing can change: no run is followed, and the shown one has ended or has no follower
                shown_done = self._tail is tail and (tail is None or tail.ended or tail.run_id not in self._live)
                if not self._live and shown_done:
                    self._watching = False
                    return
            self._watch_wake.wait(POLL_S)
        with self._sink_lock:
            self._watching = False

    def _deliver(self, tail, batch) -> None:
        """A poll of the shown run, to the log pane and the progress panel (worker thread)."""
        log = self.query_one("#log", LogPane)
        progress = self.query_one("#progress", ProgressPanel)
        with self._sink_lock:
            if self._tail is not tail:
                return  # another run is shown now
            if batch.first:
                stage = run_stage(tail.run_id) or ""
                state = f" ({batch.result})" if batch.result else " (running)" if tail.run_id in self._live else ""
                intro = self._intro.pop(tail.run_id, [])
                log.buffer.replace([f"── {stage} run {tail.run_id}{state} ──", *intro, *batch.lines])
                progress.replace(batch.events, batch.result)
                return
            log.buffer.extend(batch.lines, skipped=batch.skipped)
            if batch.events_reset:
                progress.replace(batch.events, batch.result)
            elif batch.events:
                progress.push(batch.events)

    def _finished(self, stage: str, run_id: str) -> None:
        """Run ``run_id`` has its result.json: say how it ended (worker thread)."""
        import json

        try:
            data = json.loads((self.project.run_dir(run_id) / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        self.post_message(StageFinished(stage, run_id, str(data.get("status") or "ended"), data.get("message")))

    @work(thread=True, group="runs")
    def run_stage(self, stage: str, key: str | None, skip_checks: bool = False, fresh: bool | None = None) -> None:
        from tao_tui.errors import UserError
        from tao_tui.runtime.runner import StageAlreadyRunning, StageRunner, preflight_gate

        try:
            try:
                project = Project.load(self.root)
                warnings = []
                if not skip_checks:
                    try:
                        warnings = preflight_gate(project, stage, key_set=bool(key))
                    except UserError as err:
                        if not str(err).startswith("pre-flight found"):
                            raise
                        self.app.call_from_thread(self._ask_preflight, stage, str(err), fresh)
                        return
                runner = StageRunner(project)
                leftovers = runner.leftovers(stage)
                if leftovers and fresh is None and not runner.unfinished_run(stage):
                    self.app.call_from_thread(self._ask_leftovers, stage, leftovers, skip_checks)
                    return
                record = runner.start(stage, key, fresh=bool(fresh))
            finally:
                self._starting.discard(stage)  # set.discard: atomic under the GIL
            self._intro[record.run_id] = [f"$ {record.command}",
                                          *(line for w in warnings for line in str(w).splitlines())]
            self._follow(stage, record.run_id)
            self.post_message(StageStarted(stage, record.run_id, record.command))
            self.app.call_from_thread(self.show_run, record.run_id)
        except StageAlreadyRunning as err:
            self.app.call_from_thread(self._already_running, err.stage, err.run_id)
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))

    def start_followers(self) -> list[str]:
        """Every run of this project that has no result yet gets a follower process (one that
        already has one keeps it: the new one leaves). Called before the first frame: the
        followers start (Python, docker) while the wizard draws. Returns those run ids."""
        from tao_tui.runtime.tail import open_runs

        runs = open_runs(self.project.runs_dir)
        for run_id in runs:
            self._follow(run_stage(run_id) or run_id, run_id, watch=False)
        return runs

    def reattach(self) -> None:
        """After an SSH drop or a restart (after the first frame): the latest open run is shown
        and followed to its end (see ``start_followers``); with none, the selected stage's latest
        run. Reads the project folder only: no engine in the wizard's process."""
        runs = self._reattach_runs
        if not runs:
            self._show_selected_run()
            return
        for run_id in runs:
            self.post_message(StageStarted(run_stage(run_id) or run_id, run_id, "re-attached"))
        self._ensure_watcher()
        stage = run_stage(runs[-1]) or runs[-1]
        self._select_stage(stage)
        if self._shown_run != runs[-1]:
            self.show_run(runs[-1])

    def _show_selected_run(self) -> None:
        stage = self.current_stage()
        run_id = self.project.latest_run(stage) if stage else None
        if run_id and run_id != self._shown_run:
            self.show_run(run_id)

    def _select_stage(self, stage: str) -> None:
        stages = self.query_one("#stages", StageList)
        for i in range(stages.option_count):
            if stages.get_option_at_index(i).id == stage:
                stages.highlighted = i
                break

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
        """`p`: the checks `r` runs before the selected stage (the same as `tao-tui run STAGE`);
        with no stage selected, every check of the project."""
        from tao_tui.preflight import preflight, preflight_stage

        stage = self.current_stage()
        try:
            project = Project.load(self.root)
            if stage:
                findings = preflight_stage(project, stage, key_set=bool(self.key))
            else:
                findings = preflight(project, key_set=bool(self.key))
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))
            return
        title = f"── pre-flight of {stage} (what r checks first) ──" if stage else "── pre-flight ──"
        lines = [line for f in findings for line in str(f).splitlines()] or ["every check passed"]
        self.query_one("#log", LogPane).buffer.extend([title, *lines])

    @work(thread=True, group="doctor")
    def run_doctor(self) -> None:
        from tao_tui.runtime.doctor import run_checks

        try:
            checks = run_checks()
        except TaoTuiError as err:
            self.post_message(WorkerError(str(err)))
            return
        self.query_one("#log", LogPane).buffer.extend(["── doctor ──", *(str(c) for c in checks)])

    def on_stage_started(self, msg: StageStarted) -> None:
        self.refresh_stages()
        # the command itself is the log pane's first line
        self.notify(f"{msg.stage}: {'re-attached' if msg.command == 're-attached' else 'started'}", timeout=4)

    def on_stage_finished(self, msg: StageFinished) -> None:
        self.refresh_stages()
        if msg.stage == "download_specs" and msg.status == "done":
            self.load_params()  # conversational: NVIDIA's spec files are here now, and with them the values
        if self._shown_run == msg.run_id:
            self.query_one("#log", LogPane).buffer.extend(
                [f"── {msg.stage} {msg.status}" + (f": {msg.message}" if msg.message else "") + " ──"])
            self.query_one("#progress", ProgressPanel).set_result(msg.status)
        sev = "information" if msg.status == "done" else "error"
        self.notify(f"{msg.stage} {msg.status}" + (f": {msg.message}" if msg.message else "")
                    + "  (v: results)", severity=sev, timeout=10)

    def on_worker_error(self, msg: WorkerError) -> None:
        lines = msg.text.splitlines()
        if len(lines) > 1:  # the whole text (e.g. every pre-flight problem with its fix) goes to the log pane
            self.query_one("#log", LogPane).buffer.extend(["── problem ──", *lines])
            self.query_one("#tabs", TabbedContent).active = "tab-log"
        self.notify(lines[0] + (" (details in the log pane)" if len(lines) > 1 else ""), severity="warning",
                    timeout=12)

    # ------------------------------------------------------------------ parameters
    # (the tree, its editor, unlock and diff live in tao_tui/ui/widgets/param_tree.py)
    def load_params(self) -> None:
        """(Re)load the Parameters tab off the UI thread."""
        from tao_tui.ui.widgets.param_tree import ParamTree

        self.query_one("#params", ParamTree).load()

    def action_edit(self) -> None:
        """`e` anywhere: the Parameters tab, editing the selected value."""
        self.query_one("#tabs", TabbedContent).active = "tab-params"
        from tao_tui.ui.widgets.param_tree import ParamTree

        tree = self.query_one("#params", ParamTree)
        tree.query_one("#param-table").focus()
        if tree.loaded:
            tree.start_edit()

    def on_param_tree_saved(self, event: ParamTree.Saved) -> None:
        self.project = event.project
        self.show_command()


def _tao_version(project: Project) -> tuple[int, ...]:
    from tao_tui.workflow.stages import version_tuple

    return version_tuple(project.tao_version)
