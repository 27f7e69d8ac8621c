"""The Parameters tab: every value of the project's spec files as a tree, where it comes from, edited in place.

One node per spec file, one per section (``dataset_config``, ``target_class_config[1]`` …), one row per
value; sections fold (Enter / Space on a section, ←/→). Each row shows its provenance
(``tao_tui.specs.params.PROVENANCES``) as a one-cell mark and a colour:

    ✎  safe to change (bold: yours)        ↻  rewritten by tao-tui (chained path, class block …)
    ≠  locked but not NVIDIA's value       U  unlocked by an expert        (blank, dim)  NVIDIA's value

The detail area below the tree wraps and scrolls (Tab reaches it): where the value comes from, the
whole value, the help, and while editing the rule and the fix of a bad value (checked whenever typing
pauses by a dry-run render of the whole project, ``workflow.create.render_specs(write=False)``, in a
worker thread). Enter saves through ``workflow.create.set_param`` (validated, rendered, saved under the
project lock); Escape cancels. The class mapping opens as a small table (``screens/class_map.py``); an
expert unlock asks first (``screens/unlock_confirm.py``); ``d`` diffs every spec file against NVIDIA's
(``screens/spec_diff.py``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tao_tui.errors import TaoTuiError
from tao_tui.specs.params import Row, as_mapping, format_value

MARK = {"editable": "✎", "yours": "✎", "rewritten": "↻", "differs": "≠", "unlocked": "U", "nvidia": " "}
STYLE = {
    "editable": "",
    "yours": "bold",
    "rewritten": "cyan",
    "differs": "bold red",
    "unlocked": "bold magenta",
    "nvidia": "dim",
}
VALUE_MIN = 18  # cells the value column never goes below
VALIDATE_DELAY_S = 0.12  # a pause in typing this long validates the value
_SEG = re.compile(r"[^.\[]+(?:\[\d+\])*|\[\d+\](?:\[\d+\])*")


def split_path(path: str) -> list[str]:
    """``a.b[1].c`` -> ``["a", "b[1]", "c"]``; a list item ``[3]`` stays one segment."""
    return _SEG.findall(path) or [path]


@dataclass
class Node:
    """One line of the tree: a spec file, a section, or a value (``row``)."""

    kind: str  # file | section | value
    key: str  # "spec:" for a file, "spec:prefix" for a section, Row.key for a value
    label: str
    depth: int
    row: Row | None = None
    children: list[Node] = field(default_factory=list)
    interesting: bool = False  # holds a value the user may change, or one tao-tui changed

    @property
    def foldable(self) -> bool:
        return self.kind != "value"


def build_tree(rows: list[Row]) -> list[Node]:
    """The file / section / value nodes of ``rows`` (ParamSet.describe order kept)."""
    files: dict[str, Node] = {}
    sections: dict[str, Node] = {}
    for row in rows:
        top = files.get(row.spec)
        if top is None:
            top = files[row.spec] = Node("file", f"{row.spec}:", row.spec, 0)
        parent = top
        segs = split_path(row.path)
        for i, seg in enumerate(segs[:-1]):
            key = f"{row.spec}:{'.'.join(segs[: i + 1])}"
            node = sections.get(key)
            if node is None:
                node = sections[key] = Node("section", key, seg, i + 1)
                parent.children.append(node)
            parent = node
        parent.children.append(Node("value", row.key, segs[-1], len(segs), row=row))
    for top in files.values():
        _mark_interesting(top)
    return list(files.values())


def _mark_interesting(node: Node) -> bool:
    if node.kind == "value":
        node.interesting = node.row is not None and (node.row.safe or node.row.provenance in ("unlocked", "differs"))
        return node.interesting
    node.interesting = any([_mark_interesting(c) for c in node.children])
    return node.interesting


def default_open(nodes: list[Node]) -> set[str]:
    """Files and sections that hold a value the user may change (or a hand edit) start open."""
    out: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.foldable and node.interesting:
            out.add(node.key)
            stack.extend(node.children)
    return out


def visible(nodes: list[Node], opened: set[str]) -> list[Node]:
    """The nodes shown, in order: children of open files and sections only."""
    out: list[Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        out.append(node)
        if node.foldable and node.key in opened:
            stack.extend(reversed(node.children))
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class ParamTable(DataTable):
    """The tree's rows; the keys here are the ones the footer shows while the tree has focus."""

    BINDINGS = [
        Binding("enter", "activate", "edit / fold"),
        Binding("e", "edit", "edit value"),
        Binding("space", "fold", "fold", show=False),
        Binding("left", "collapse", "fold", show=False),
        Binding("right", "expand", "open", show=False),
        Binding("u", "unlock", "unlock (expert)"),
        Binding("d", "diff", "diff vs NVIDIA"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows `u` only on a value an expert may unlock (dimmed elsewhere); `e` always
        (on a locked value it says why it is locked and how to unlock it)."""
        if action != "unlock":
            return True
        try:
            row = self.parent_tree.current_row
        except Exception:  # noqa: BLE001 - not mounted in a ParamTree yet
            return None
        if row is None:
            return None
        return True if row.provenance in ("nvidia", "differs") and not row.safe else None

    def on_resize(self) -> None:
        # the editor opening below (or a smaller terminal) takes rows: keep the selected row in sight
        if self.row_count:
            self.call_after_refresh(self.keep_cursor_in_view)

    def keep_cursor_in_view(self) -> None:
        """Scroll to the cursor's row as it is now (not as it was when this was scheduled)."""
        self.move_cursor(row=self.cursor_row, scroll=True)

    def action_activate(self) -> None:
        self.parent_tree.activate()

    def action_edit(self) -> None:
        self.parent_tree.start_edit()

    def action_fold(self) -> None:
        self.parent_tree.fold(None)

    def action_collapse(self) -> None:
        self.parent_tree.fold(False)

    def action_expand(self) -> None:
        self.parent_tree.fold(True)

    def action_unlock(self) -> None:
        self.parent_tree.ask_unlock()

    def action_diff(self) -> None:
        self.parent_tree.show_diff()

    @property
    def parent_tree(self) -> ParamTree:
        return self.query_ancestor(ParamTree)


class ParamInput(Input):
    """The in-place editor of the selected value (shown only while editing)."""

    BINDINGS = [Binding("enter", "submit", "save"), Binding("escape", "cancel", "cancel")]

    def action_cancel(self) -> None:
        self.query_ancestor(ParamTree).cancel_edit()


class ParamTree(Vertical):
    """The whole spec as a tree with the value column always visible, edited in place."""

    DEFAULT_CSS = """
    ParamTree { height: 1fr; }
    ParamTree > ParamTable { height: 1fr; min-height: 3; }
    ParamTree > ParamInput { height: 1; border: none; padding: 0 1; display: none; background: $boost; }
    ParamTree > ParamInput:focus { border: none; background: $accent 30%; }
    ParamTree > ParamInput.editing { display: block; }
    ParamTree > #param-detail { height: auto; max-height: 5; padding: 0 1; background: $panel; }
    ParamTree > #param-detail.tall { max-height: 8; }
    ParamTree > #param-detail:focus { background: $boost; }
    """

    class Saved(Message):
        """A value was saved (specs re-rendered, project.yaml written): ``project`` is the new state."""

        def __init__(self, project: Any) -> None:
            super().__init__()
            self.project = project

    def __init__(self, root: Path, *, id: str | None = None, autoload: bool = True) -> None:
        """``root``: the project folder; ``autoload`` False: the owner calls :meth:`load` (e.g. after
        its first frame)."""
        super().__init__(id=id)
        self.root = Path(root)
        self.autoload = autoload
        self.rows: list[Row] = []
        self.nodes: list[Node] = []
        self.shown: list[Node] = []
        self.opened: set[str] | None = None
        self.editing: Row | None = None
        self.loaded = False
        self._message: str | None = None  # the last save/unlock result, shown under its row
        self._message_key: str | None = None
        self._widths = (24, VALUE_MIN)
        self._pending: Any = None  # the timer of the next validation
        self.findings: list = []  # ValidationErrors about class names inside the spec files
        self._wanted_spec: str | None = None  # show_spec before the values were read
        self.pattern = ""  # `/` in the Parameters tab
        self._found: list[Row] = []
        self._found_at: int | None = None
        self.safe_params: dict[str, Any] = {}  # SafeParamDef by key

    def compose(self) -> ComposeResult:
        yield ParamTable(id="param-table", cursor_type="row", zebra_stripes=False, show_header=True)
        yield ParamInput(id="param-edit", placeholder="type the new value; Enter saves, Escape cancels")
        with VerticalScroll(id="param-detail"):  # Tab reaches it: ↑/↓ scroll a long help or error
            yield Static("loading the spec files…", id="param-detail-text")

    def on_mount(self) -> None:
        if self.autoload:
            self.load()

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, group="param-load")
    def load(self, focus_key: str | None = None) -> None:
        """Read the project's spec files and their provenance off the UI thread, then show them."""
        from tao_tui.project import Project
        from tao_tui.specs.rules import spec_class_findings
        from tao_tui.workflow.create import project_paramset

        try:
            pset = project_paramset(Project.load(self.root))
            rows = pset.describe()
            findings = spec_class_findings(pset.docs)  # e.g. key: "Mask" written into a spec by hand
        except TaoTuiError as err:
            self.app.call_from_thread(self._detail, f"[red]{escape(str(err))}[/]")
            return
        self.safe_params = {p.key: p for p in pset.safe_params}
        self.app.call_from_thread(self._show_rows, rows, focus_key, findings)

    def _show_rows(self, rows: list[Row], focus_key: str | None, findings: list | None = None) -> None:
        table = self.query_one(ParamTable)
        self.findings = list(findings or [])
        current = focus_key or (self.current.key if self.current else None)
        self.rows = rows
        self.nodes = build_tree(rows)
        if self.opened is None:
            self.opened = default_open(self.nodes)
        if focus_key:  # open the way to it
            spec, _, path = focus_key.partition(":")
            segs = split_path(path)
            self.opened.add(f"{spec}:")
            self.opened.update(f"{spec}:{'.'.join(segs[: i + 1])}" for i in range(len(segs) - 1))
        first_load = not self.loaded
        self.loaded = True
        self._render_rows(current)
        if first_load and not focus_key and self._wanted_spec:  # asked for before the values were read
            self.show_spec(self._wanted_spec)
        elif first_load and not focus_key:  # start on the first value the user may change
            first = next((i for i, n in enumerate(self.shown) if n.row is not None and n.row.editable), 0)
            table.move_cursor(row=first)
            self._show_detail()

    def search(self, pattern: str) -> int:
        """``/`` in the Parameters tab: the values whose path holds ``pattern`` (case-insensitive);
        the cursor goes to the first, its sections opened. Returns how many there are."""
        self.pattern = pattern
        needle = pattern.lower()
        self._found = [r for r in self.rows if needle and needle in f"{r.spec}:{r.path}".lower()]
        self._found_at = None
        if self._found:
            self.next_match(1)
        return len(self._found)

    def next_match(self, step: int = 1) -> str | None:
        """The next (``step=1``) or previous (``-1``) value found; returns its key (None: none)."""
        if not self._found:
            return None
        at = (0 if step > 0 else len(self._found) - 1) if self._found_at is None else self._found_at + step
        self._found_at = at % len(self._found)
        row = self._found[self._found_at]
        self._open_to(row)
        self._render_rows(row.key)
        return row.key

    def _open_to(self, row: Row) -> None:
        segs = split_path(row.path)
        self.opened = self.opened or set()
        self.opened.add(f"{row.spec}:")
        self.opened.update(f"{row.spec}:{'.'.join(segs[: i + 1])}" for i in range(len(segs) - 1))

    def show_spec(self, spec: str) -> None:
        """Move to the first value of spec file ``spec`` the user may change (else its first value),
        opening the way to it: the Parameters tab follows the stage selected on the left."""
        if not self.loaded:
            self._wanted_spec = spec
            return
        rows = [r for r in self.rows if r.spec == spec]
        if not rows:
            return
        if self.current is not None and self.current.row is not None and self.current.row.spec == spec:
            return  # already in that file: keep the user's place
        target = next((r for r in rows if r.editable), rows[0])
        self._open_to(target)
        self._render_rows(target.key)

    def on_resize(self) -> None:
        if self.loaded:
            self._render_rows(self.current.key if self.current else None)

    def _column_widths(self) -> tuple[int, int]:
        total = max(self.size.width, 40) - 2 - 2 * 3  # scrollbar, one cell of padding each side of 3 columns
        value = max(VALUE_MIN, min(48, total * 2 // 5))
        return max(12, total - value - 1), value

    def _render_rows(self, keep: str | None) -> None:
        table = self.query_one(ParamTable)
        name_w, value_w = self._widths = self._column_widths()
        self.shown = visible(self.nodes, self.opened or set())
        table.clear(columns=True)
        table.add_column("", key="mark", width=1)
        table.add_column("parameter", key="name", width=name_w)
        table.add_column("value", key="value", width=value_w)
        table.add_rows([self._cells(n, name_w, value_w) for n in self.shown])
        if keep:
            index = next((i for i, n in enumerate(self.shown) if n.key == keep), None)
            if index is not None:
                table.move_cursor(row=index, scroll=True)
        self._show_detail()

    def _cells(self, node: Node, name_w: int, value_w: int) -> tuple[Text, Text, Text]:
        indent = " " * node.depth
        if node.kind != "value":
            fold = "▾ " if node.key in (self.opened or set()) else "▸ "
            style = "bold" if node.kind == "file" else ""
            count = _count(node)
            return Text(""), Text(_cut(indent + fold + node.label, name_w), style), Text(f"{count} values", "dim")
        row = node.row
        assert row is not None
        style = "bold red" if self.findings and self.findings_for(row) else STYLE.get(row.provenance, "")
        value = _cut(format_value(row.value), value_w)
        if row.provenance == "differs" and row.in_nvidia:
            value = _cut(f"{format_value(row.value)} ≠ {format_value(row.nvidia)}", value_w)
        name_style = "dim" if row.provenance == "nvidia" else ""
        return (
            Text(MARK.get(row.provenance, "?"), style),
            Text(_cut(indent + "  " + node.label, name_w), name_style),
            Text(value, style),
        )

    # ------------------------------------------------------------------ selection and detail
    @property
    def current(self) -> Node | None:
        table = self.query_one(ParamTable)
        if not self.shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    @property
    def current_row(self) -> Row | None:
        node = self.current
        return node.row if node is not None else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.query_one(ParamTable).refresh_bindings()
        if self.editing is None:
            self._show_detail()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # a click: the same as Enter
        self.activate()

    def _detail(self, markup: str) -> None:
        self.query_one("#param-detail-text", Static).update(markup)
        self.query_one("#param-detail", VerticalScroll).scroll_home(animate=False)

    def _show_detail(self) -> None:
        node = self.current
        if node is None:
            self._detail("[dim]no values[/]")
            return
        if node.row is None:
            what = "spec file" if node.kind == "file" else "section"
            state = "open" if node.key in (self.opened or set()) else "folded"
            self._detail(f"[b]{escape(node.key.rstrip(':'))}[/b] · {what}, {state}: Enter or Space folds/opens it")
            return
        self._detail(self.describe(node.row))

    def describe(self, row: Row) -> str:
        """The detail text of ``row``: full value, provenance in words, help, what the user can do."""
        value = escape(format_value(row.value))
        lines = [self._message] if self._message and self._message_key == row.key else []
        for err in self.findings_for(row):
            lines.append(f"[b red]{escape(err.rule)}[/]\n[red]fix: {escape(err.fix or '')}[/]")
        colour = {"differs": "red", "rewritten": "cyan", "unlocked": "magenta", "yours": "green"}.get(row.provenance)
        note = escape(row.note)
        # where it comes from first (the table shows the value, cut), then the whole value
        lines.append(f"[b]{escape(row.path)}[/b]: " + (f"[{colour}]{note}[/]" if colour else note))
        lines.append(f"= [b]{value}[/b]  [dim]({escape(row.spec)})[/]")
        if row.safe:
            bounds = ""
            if row.bounds:
                lo, hi = ("" if b is None else format_value(int(b) if float(b).is_integer() else b) for b in row.bounds)
                bounds = f" · {row.type} {lo}..{hi}"
            lines.append(f"{escape(row.help.strip())}{bounds}")
            if row.type == "class_mapping":
                lines.append("[dim]e or Enter opens it as a table: dataset label → model class (several labels may "
                             "share one class)[/]")
            else:
                lines.append("[dim]e or Enter edits it[/]")
        elif row.provenance == "unlocked":
            lines.append("[dim]e or Enter edits it (only its type is checked)[/]")
        elif row.provenance == "rewritten":
            lines.append("[dim]tao-tui writes it again on every change; it is not yours to edit[/]")
        else:
            lines.append("[dim]NVIDIA tuned it; u unlocks it (experts only, asks first)[/]")
        return "\n".join(lines)

    def findings_for(self, row: Row) -> list:
        """The class-name problems inside the spec files that concern ``row`` (its value or group)."""
        return [e for e in self.findings if e.field == row.key or e.field.startswith((row.key + ".", row.key + "["))]

    # ------------------------------------------------------------------ folding
    def activate(self) -> None:
        node = self.current
        if node is None:
            return
        if node.foldable:
            self.fold(None)
        else:
            self.start_edit()

    def fold(self, want_open: bool | None) -> None:
        """Open (True), fold (False) or toggle (None) the selected file or section; on a value, fold its
        section (←) as a file browser does."""
        node = self.current
        if node is None or self.opened is None:
            return
        if not node.foldable:
            if want_open is False:
                parent = self._parent_of(node)
                if parent is not None:
                    self.opened.discard(parent.key)
                    self._render_rows(parent.key)
            return
        is_open = node.key in self.opened
        if want_open is None:
            want_open = not is_open
        if want_open == is_open:
            return
        (self.opened.add if want_open else self.opened.discard)(node.key)
        self._render_rows(node.key)

    def _parent_of(self, node: Node) -> Node | None:
        index = self.shown.index(node)
        for candidate in reversed(self.shown[:index]):
            if candidate.foldable and candidate.depth < node.depth:
                return candidate
        return None

    # ------------------------------------------------------------------ editing
    def start_edit(self) -> None:
        row = self.current_row
        if row is None:
            self.activate()
            return
        if not row.editable:
            why = "tao-tui rewrites it" if row.provenance == "rewritten" else "NVIDIA tuned it"
            hint = "" if row.provenance == "rewritten" else " u unlocks it after a confirmation."
            self._detail(f"[b yellow]{escape(row.path)} is locked ({why}).{hint}[/]\n" + self.describe(row))
            return
        param = self.safe_params.get(row.key)
        if row.type == "class_mapping" and param is not None:
            self.edit_classes(row, param)
            return
        self.editing = row
        inp = self.query_one(ParamInput)
        inp.value = format_value(row.value)  # always this row's value, never the last text typed
        inp.add_class("editing")
        self.query_one("#param-detail").add_class("tall")
        inp.focus()
        inp.cursor_position = len(inp.value)
        table = self.query_one(ParamTable)
        # the editor takes rows from the table: keep the row being edited in sight
        self.call_after_refresh(table.keep_cursor_in_view)
        self._detail("[dim]Enter saves · Escape cancels[/]\n" + self.describe(row))

    def cancel_edit(self) -> None:
        self._close_editor()
        self._show_detail()

    def _close_editor(self) -> None:
        self.editing = None
        inp = self.query_one(ParamInput)
        inp.remove_class("editing")
        self.query_one("#param-detail").remove_class("tall")
        self.query_one(ParamTable).focus()

    @on(Input.Changed, "#param-edit")
    def _changed(self, event: Input.Changed) -> None:
        """Validate what is typed once typing pauses (VALIDATE_DELAY_S): one dry run per pause, not
        one per key."""
        event.stop()
        if self.editing is None:
            return
        if self._pending is not None:
            self._pending.stop()
        key, text = self.editing.key, event.value
        self._pending = self.set_timer(VALIDATE_DELAY_S, lambda: self.validate(key, text))

    @work(thread=True, exclusive=True, group="param-validate")
    def validate(self, key: str, text: str) -> None:
        """Dry run of the whole project with ``key`` = ``text``: every rule, nothing written."""
        message = check_value(self.root, key, text)
        self.app.call_from_thread(self._validated, key, text, message)

    def _validated(self, key: str, text: str, message: str) -> None:
        row = self.editing
        if row is None or row.key != key or self.query_one(ParamInput).value != text:
            return  # an older keystroke
        self._detail(message + "\n" + self.describe(row))

    @on(Input.Submitted, "#param-edit")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = self.editing
        if row is None:
            return
        value: Any = event.value
        if row.type == "class_mapping":  # stored as `tao-tui new --classes` stores it: [[label, class], ...]
            try:
                value = [list(pair) for pair in as_mapping(value, row.path)]
            except TaoTuiError as err:
                self._detail(_error_markup(err) + "\n" + self.describe(row))
                return
        if self.save(row, value):
            self._close_editor()

    def save(self, row: Row, value: Any) -> bool:
        """``set_param`` (validated, specs rendered, project.yaml saved, under the project lock), then
        the tree reloaded on ``row``; False (and the rule and fix shown) when the value is refused."""
        from tao_tui.workflow.create import set_param

        try:
            project = set_param(self.root, row.key, value)
        except TaoTuiError as err:
            self._detail(_error_markup(err) + "\n" + self.describe(row))
            return False
        text = f"[green]saved {escape(row.path)} = {escape(format_value(value))}[/]"
        for notice in project.notices:
            text += f"\n[yellow]note:[/] {escape(notice)}"
        self._message, self._message_key = text, row.key
        self.post_message(self.Saved(project))
        self.load(row.key)
        return True

    def edit_classes(self, row: Row, param: Any) -> None:
        """The class mapping in its small table (ClassMapScreen); saved like any other value."""
        from tao_tui.ui.screens.class_map import ClassMapScreen

        def done(pairs: list[tuple[str, str]] | None) -> None:
            self.query_one(ParamTable).focus()
            if pairs is None:
                self._detail("[dim]classes unchanged[/]\n" + self.describe(row))
                return
            self.save(row, [list(p) for p in pairs])

        self.app.push_screen(ClassMapScreen(param, list(row.value or [])), done)

    # ------------------------------------------------------------------ unlock and diff
    def ask_unlock(self) -> None:
        row = self.current_row
        if row is None:
            return
        if row.safe or row.provenance == "unlocked":
            self._detail(f"[b]{escape(row.path)}[/b] is already editable: e edits it.\n" + self.describe(row))
            return
        if row.provenance == "rewritten":
            self._detail("[yellow]tao-tui writes this value itself on every change: unlocking it would not keep "
                         "your value.[/]\n" + self.describe(row))
            return
        from tao_tui.ui.screens.unlock_confirm import UnlockConfirm

        nvidia = format_value(row.nvidia) if row.in_nvidia else None

        def done(yes: bool | None) -> None:
            if yes:
                self.unlock(row)
            else:
                self._detail("[dim]kept locked[/]\n" + self.describe(row))

        self.app.push_screen(UnlockConfirm(row.spec, row.path, format_value(row.value), nvidia), done)

    def unlock(self, row: Row) -> None:
        from tao_tui.workflow.create import set_params

        try:
            project = set_params(self.root, {}, unlock=[row.key])
        except TaoTuiError as err:
            self._detail(_error_markup(err) + "\n" + self.describe(row))
            return
        self._message = f"[magenta]UNLOCKED {escape(row.path)}[/] (recorded in project.yaml): e edits it"
        self._message_key = row.key
        self.post_message(self.Saved(project))
        self.load(row.key)

    def show_diff(self) -> None:
        from tao_tui.ui.screens.spec_diff import SpecDiffScreen

        self.app.push_screen(SpecDiffScreen(self.root))


def check_value(root: Path, key: str, text: str) -> str:
    """The rule and fix for ``key`` = ``text`` in the project at ``root`` (markup), from a dry run of
    ``render_specs`` with every rule; ``✓`` and any notice (a lowered interval) when it is valid."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import render_specs

    try:
        project = Project.load(root)
        project = dataclasses.replace(project, params={**project.params, key: text})
        render_specs(project, write=False)
    except TaoTuiError as err:
        return _error_markup(err)
    lines = ["[green]✓ valid[/] · Enter saves"]
    lines += [f"[yellow]note:[/] {escape(n)}" for n in project.notices]
    return "\n".join(lines)


def _error_markup(err: TaoTuiError) -> str:
    return f"[b red]{escape(str(err))}[/]"


def _count(node: Node) -> int:
    if node.kind == "value":
        return 1
    return sum(_count(c) for c in node.children)
