"""The first screen: new project, open a folder, recent projects, and this machine's checks."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

NEW, OPEN = "action:new", "action:open"
MARK = {"pass": "[green]✔[/]", "warn": "[yellow]![/]", "fail": "[b red]✘[/]"}


class StartScreen(Screen):
    """Recent projects (from the index in the user's data folder) and one line per doctor check."""

    BINDINGS = [
        Binding("n", "new", "new project"),
        Binding("o", "open_folder", "open folder"),
        Binding("x", "forget", "forget project"),
        Binding("question_mark", "app.help", "help"),
        Binding("q", "app.quit", "quit"),
    ]
    DEFAULT_CSS = """
    StartScreen #projects { height: auto; max-height: 60%; min-height: 5; border: round $primary; }
    StartScreen #machine-box { height: 1fr; min-height: 5; border: round $secondary; padding: 0 1; }
    StartScreen #machine-box:focus { border: round $accent; }
    """

    def __init__(self, version: str | None = None):
        super().__init__()
        self.version = version
        self._recent: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(id="projects")
        with VerticalScroll(id="machine-box"):
            yield Static("[dim]checking this machine: engine, GPU runtime, GPUs, login, disk …[/]", id="machine")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "tao-tui · NVIDIA TAO Toolkit"
        self.sub_title = "start"
        box = self.query_one("#projects", OptionList)
        box.border_title = "Projects"
        self.query_one("#machine-box").border_title = "This machine"
        self.fill_projects()
        box.focus()
        # after the first frame: the checks import docker in a thread, which holds the GIL a while
        self.call_after_refresh(self.run_doctor)

    def on_screen_resume(self) -> None:
        self.fill_projects()

    def fill_projects(self) -> None:
        from tao_tui.recent import recent_projects

        box = self.query_one("#projects", OptionList)
        keep = box.highlighted
        box.clear_options()
        box.add_option(Option("[b]+ New project[/b]  [dim]pick a network from NVIDIA's catalog (n)[/]", id=NEW))
        box.add_option(Option("[b]  Open a project folder…[/b]  [dim](o)[/]", id=OPEN))
        self._recent = {}
        for i, rp in enumerate(recent_projects()):
            oid = f"recent:{i}"
            self._recent[oid] = rp.root
            running = " [b yellow]▶ running[/]" if rp.running else ""
            box.add_option(Option(f"{escape(_home(rp.root))}{running}\n  [dim]{escape(rp.summary())}[/]", id=oid))
        if not self._recent:
            box.add_option(Option("[dim]  no recent projects yet: the ones you create or open appear here[/]",
                                  id="none", disabled=True))
        box.highlighted = keep if keep is not None and keep < box.option_count else 0

    @work(thread=True, exclusive=True, group="doctor")
    def run_doctor(self) -> None:
        """The doctor checks (engine, GPU runtime, GPUs, login, disk) off the UI thread: docker is slow to import."""
        try:
            from tao_tui.runtime.doctor import run_checks

            checks = run_checks()
            lines = []
            for c in sorted(checks, key=lambda c: {"fail": 0, "warn": 1}.get(c.status, 2)):
                lines.append(f"{MARK.get(c.status, '?')} [b]{escape(c.name)}[/]: {escape(c.detail)}")
                if c.fix and c.status != "pass":
                    lines.append(f"   [dim]fix:[/] {escape(c.fix)}")
            text = "\n".join(lines) or "no checks ran"
        except Exception as err:  # the start screen opens whatever the machine's state
            text = f"[yellow]![/] could not check this machine: {escape(str(err))} (run `tao-tui doctor`)"
        self.app.call_from_thread(self._show_machine, text)

    def _show_machine(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#machine", Static).update(text)
            self.call_after_refresh(self._scroll_hint)

    def _scroll_hint(self, *_: object) -> None:
        """"more below" while the checks go on below the box's bottom edge (not once scrolled there)."""
        box = self.query_one("#machine-box", VerticalScroll)
        box.border_subtitle = "more below: Tab here, then ↓" if box.scroll_y < box.max_scroll_y else ""
        if not getattr(self, "_hint_watched", False):
            self._hint_watched = True
            self.watch(box, "scroll_y", self._scroll_hint, init=False)

    # ------------------------------------------------------------------ actions
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id or ""
        if oid == NEW:
            self.action_new()
        elif oid == OPEN:
            self.action_open_folder()
        elif oid in self._recent:
            self.app.open_project(self._recent[oid])

    def action_new(self) -> None:
        from tao_tui.ui.screens.catalog import CatalogScreen

        self.app.push_screen(CatalogScreen(self.version))

    def action_open_folder(self) -> None:
        from tao_tui.ui.screens.open_folder import OpenFolder

        def opened(root: Path | None) -> None:
            if root is not None:
                self.app.open_project(root)

        self.app.push_screen(OpenFolder(), opened)

    def action_forget(self) -> None:
        from tao_tui.recent import forget

        box = self.query_one("#projects", OptionList)
        if box.highlighted is None:
            return
        oid = box.get_option_at_index(box.highlighted).id or ""
        if oid in self._recent:
            forget(self._recent[oid])
            self.notify(f"removed {_home(self._recent[oid])} from the list (the folder is untouched)", timeout=5)
            self.fill_projects()


def _home(path: Path) -> str:
    """``/home/me/x`` as ``~/x``: shorter, and what the user typed."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)
