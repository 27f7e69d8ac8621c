"""The tao-tui Textual application: start → catalog → set-up steps → project (parameters, runs)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding


class TaoTuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "tao-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", "quit", show=False),
        Binding("f1", "help", "help", show=False),
        Binding("escape", "back", "back", show=False),
    ]

    def __init__(self, project: str | Path | None = None, version: str | None = None, *,
                 start_dir: str | Path | None = None):
        """``project``: open this project folder at once. ``start_dir``: the folder tao-tui was started
        in; when it (or a folder above it) is a project, that project opens (default: no such lookup)."""
        super().__init__()
        self.project_root = Path(project).expanduser() if project else None
        self.start_dir = Path(start_dir) if start_dir else None
        self.version = version
        self.followers: dict = {}  # run id -> follower process started before the UI (run_app)
        self.running_at_exit: list[tuple[Path, str]] = []  # (project, stage) still running at quit

    def project_to_open(self) -> Path | None:
        """The project this app opens at start: ``project`` (or the project around it), else the
        project ``start_dir`` is in; None: the start screen."""
        from tao_tui.recent import find_project_root

        where = self.project_root if self.project_root is not None else self.start_dir
        return find_project_root(where) if where is not None else None

    def on_mount(self) -> None:
        root = self.project_to_open()
        if root is not None:
            self.open_project(root)
            return
        from tao_tui.ui.screens.start import StartScreen

        self.push_screen(StartScreen(self.version))

    def open_project(self, root: Path, *, key: str | None = None) -> None:
        """Show project ``root`` (it re-attaches to its running stages) and remember it as recent."""
        from tao_tui.errors import TaoTuiError
        from tao_tui.project import Project
        from tao_tui.recent import remember
        from tao_tui.ui.screens.project import ProjectScreen

        try:
            Project.load(root)  # a damaged project.yaml is said here, with its fix, not as a traceback
        except TaoTuiError as err:
            self.notify(str(err), title=f"cannot open {root}", severity="error", timeout=15)
            if not self.screen_stack or len(self.screen_stack) <= 1:
                from tao_tui.ui.screens.start import StartScreen

                self.push_screen(StartScreen(self.version))
            return
        remember(root)
        screen = ProjectScreen(Path(root), followers=self.followers)
        self.followers = {}
        if key:
            screen.key = key
        self.push_screen(screen)

    def action_back(self) -> None:
        """Escape where no widget or screen uses it: in a project, from the log or the parameters back
        to the stage list, and from there to the start screen (stages keep running in their containers)."""
        from tao_tui.ui.screens.project import ProjectScreen
        from tao_tui.ui.screens.start import StartScreen

        if not isinstance(self.screen, ProjectScreen):
            return
        stages = self.screen.query("#stages")
        if stages and self.focused is not stages.first():
            stages.first().focus()  # first back out of the log or the parameters to the stage list
            return
        if any(isinstance(s, StartScreen) for s in self.screen_stack[:-1]):
            while not isinstance(self.screen_stack[-1], StartScreen):
                self.pop_screen()
        else:
            self.switch_screen(StartScreen(self.version))

    async def action_quit(self) -> None:
        """Quit: running stages keep running in their containers (start tao-tui again to follow)."""
        for screen in self.screen_stack:
            leaving = getattr(screen, "_leaving", None)
            if leaving is not None:
                leaving.set()
            live = getattr(screen, "_live", None)
            if live:  # said on the terminal after the UI is gone (run_app)
                self.running_at_exit += [(screen.root, stage) for stage, _ in live.values()]
        self.exit()

    def action_help(self) -> None:
        from tao_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())


def run_app(project: str | None = None, version: str | None = None) -> int:
    import os

    app = TaoTuiApp(project, version, start_dir=os.getcwd() if project is None else None)
    root = app.project_to_open()
    if root is not None:  # re-attach: the followers start (Python, docker) while the wizard starts
        from tao_tui.runtime.follower import start_open_runs

        app.followers = start_open_runs(root)
    app.run()
    _say_still_running(app.running_at_exit)
    return 0


def _say_still_running(running: list[tuple[Path, str]]) -> None:
    """After quitting: what goes on without the wizard, and how to see it again."""
    import shlex

    for root, stage in dict.fromkeys(running):
        where = shlex.quote(str(root))
        print(f"{stage} keeps running in its container (tao-tui's follower records its log and result).\n"
              f"  see it again: tao-tui {where}    or here: tao-tui logs -f {shlex.quote(stage)} --project {where}")
