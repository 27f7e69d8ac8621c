"""The class mapping as a small table: one row per dataset label -> the model class it trains.

Several labels may map to one class (``pallet -> forklift``). Every keystroke is checked by the core
(``tao_tui.specs.params.coerce`` of the network's class-mapping parameter: lower-case names, each label
once); the rule and the fix show under the table, and the one-line notation the CLI takes
(``--classes forklift:forklift,pallet:forklift``) is shown as it will be saved.
"""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from tao_tui.errors import TaoTuiError
from tao_tui.specs.netdef import SafeParamDef
from tao_tui.specs.params import coerce, format_value


class ClassMapScreen(ModalScreen["list[tuple[str, str]] | None"]):
    """Edit ``pairs`` (label, class) for the safe parameter ``param``; dismisses with the checked
    pairs on Save (ctrl+s), None on Escape."""

    DEFAULT_CSS = """
    ClassMapScreen { align: center middle; }
    ClassMapScreen > #cm-box {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ClassMapScreen #cm-title { text-style: bold; }
    ClassMapScreen #cm-head { height: 1; color: $text-muted; }
    ClassMapScreen #cm-rows { height: auto; max-height: 10; }
    ClassMapScreen .cm-row { height: 1; }
    ClassMapScreen .cm-row Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    ClassMapScreen .cm-row Input:focus { background: $accent 30%; }
    ClassMapScreen .cm-arrow { width: 4; content-align: center middle; }
    ClassMapScreen #cm-msg { height: auto; max-height: 5; }
    ClassMapScreen #cm-buttons { height: 3; align-horizontal: right; }
    ClassMapScreen Button { margin-left: 2; min-width: 10; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+s", "save", "save"),
        Binding("ctrl+n", "add", "add a label"),
        Binding("ctrl+d", "remove", "remove this label"),
    ]

    def __init__(self, param: SafeParamDef, pairs: list[tuple[str, str]]):
        super().__init__()
        self.param = param
        self.pairs = [tuple(p) for p in pairs] or [("", "")]
        self._serial = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="cm-box"):
            yield Label(f"Classes: {self.param.path}", id="cm-title")
            yield Static("dataset label (as in the label files)  →  model class", id="cm-head")
            with VerticalScroll(id="cm-rows"):
                for src, dst in self.pairs:
                    yield self._row(src, dst)
            yield Static(id="cm-msg")
            with Horizontal(id="cm-buttons"):
                yield Button("Add label", id="cm-add")
                yield Button("Cancel", id="cm-cancel")
                yield Button("Save", id="cm-save", variant="primary")
        yield Footer()

    def _row(self, src: str, dst: str) -> Horizontal:
        self._serial += 1
        return Horizontal(
            Input(src, placeholder="label", classes="cm-src"),
            Static("→", classes="cm-arrow"),
            Input(dst, placeholder="class", classes="cm-dst"),
            classes="cm-row",
            id=f"cm-row-{self._serial}",
        )

    def on_mount(self) -> None:
        first = self.query(".cm-dst").first(Input)
        first.focus()
        self.check()

    # ------------------------------------------------------------------ the table's content
    def current_pairs(self) -> list[tuple[str, str]]:
        """The (label, class) rows as typed; a row with an empty class maps the label to itself."""
        out = []
        for row in self.query(".cm-row"):
            src = row.query_one(".cm-src", Input).value.strip()
            dst = row.query_one(".cm-dst", Input).value.strip()
            if src or dst:
                out.append((src, dst or src))
        return out

    def check(self) -> list[tuple[str, str]] | None:
        """Validate the rows with the core; show the rule and fix, or the notation to be saved."""
        msg = self.query_one("#cm-msg", Static)
        pairs = self.current_pairs()
        try:
            clean = coerce(self.param, pairs)
        except TaoTuiError as err:
            msg.update(f"[b red]{escape(str(err))}[/]")
            return None
        classes = list(dict.fromkeys(dst for _, dst in clean))
        msg.update(f"[green]✓[/] {escape(format_value(clean))}\n[dim]{len(classes)} model classes: "
                   f"{escape(', '.join(classes))}[/]")
        return clean

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # ------------------------------------------------------------------ actions
    def action_add(self) -> None:
        row = self._row("", "")
        self.query_one("#cm-rows", VerticalScroll).mount(row)

        def focus_it() -> None:
            row.query_one(".cm-src", Input).focus()
            row.scroll_visible()

        self.call_after_refresh(focus_it)

    def action_remove(self) -> None:
        focused = self.focused
        row = next((a for a in (focused.ancestors if focused else []) if "cm-row" in getattr(a, "classes", ())), None)
        if row is None or len(self.query(".cm-row")) <= 1:
            return
        row.remove()
        self.call_after_refresh(self.check)
        self.call_after_refresh(lambda: self.query(".cm-dst").first(Input).focus())

    def action_save(self) -> None:
        clean = self.check()
        if clean is not None:
            self.dismiss(clean)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"cm-add": self.action_add, "cm-cancel": self.action_cancel, "cm-save": self.action_save}[event.button.id]()
