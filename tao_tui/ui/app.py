"""The tao-tui Textual application: catalog → project set-up → parameters → runs."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from tao_tui.project import PROJECT_FILE


class TaoTuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "tao-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "quit", show=False)]

    def __init__(self, project: str | Path | None = None, version: str | None = None):
        super().__init__()
        self.project_root = Path(project).expanduser() if project else None
        self.version = version

    def on_mount(self) -> None:
        if self.project_root and (self.project_root / PROJECT_FILE).is_file():
            from tao_tui.ui.screens.project import ProjectScreen

            self.push_screen(ProjectScreen(self.project_root))
        else:
            from tao_tui.ui.screens.catalog import CatalogScreen

            self.push_screen(CatalogScreen(self.version))

    async def action_quit(self) -> None:
        """Quit: running stages keep running in their containers (start tao-tui again to follow)."""
        for screen in self.screen_stack:
            leaving = getattr(screen, "_leaving", None)
            if leaving is not None:
                leaving.set()
        self.exit()

    def action_help(self) -> None:
        from tao_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())


def run_app(project: str | None = None) -> int:
    TaoTuiApp(project).run()
    return 0
