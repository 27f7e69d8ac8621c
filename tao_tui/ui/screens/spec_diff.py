"""`d` in the Parameters tab: every spec file of the project against NVIDIA's, as a coloured diff."""

from __future__ import annotations

import difflib
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static


def spec_diffs(root: Path) -> list[tuple[str, list[str]]]:
    """(spec file, unified diff lines) for every spec file of the project at ``root`` against NVIDIA's
    template of the same name (``specs_templates/<network>/``); an empty list: identical."""
    from tao_tui.project import Project
    from tao_tui.specs.netdef import load_network

    project = Project.load(root)
    net = load_network(project.network, version=project.tao_version)
    out = []
    for spec in net.spec_files:
        mine, nvidia = project.specs_dir / spec, net.folder / spec
        ours = mine.read_text(encoding="utf-8").splitlines() if mine.is_file() else []
        theirs = nvidia.read_text(encoding="utf-8").splitlines() if nvidia.is_file() else []
        out.append((spec, list(difflib.unified_diff(theirs, ours, f"NVIDIA {spec}", f"project {spec}",
                                                     lineterm="", n=1))))
    return out


def diff_text(diffs: list[tuple[str, list[str]]]) -> Text:
    """The diffs as one Rich Text: removed lines red, added green, hunk heads cyan."""
    text = Text()
    for spec, lines in diffs:
        text.append(f"── {spec} ", "bold")
        if not lines:
            text.append("(NVIDIA's file as is)\n", "dim")
            continue
        changed = sum(1 for ln in lines if ln[:1] in "+-" and not ln.startswith(("+++", "---")))
        text.append(f"({changed} lines differ)\n", "yellow")
        for line in lines[2:]:  # the ---/+++ heads say what the title says
            style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
            text.append(line + "\n", style)
    return text


class SpecDiffScreen(ModalScreen[None]):
    """Every spec file against NVIDIA's: only the user's values, the class blocks and the chained
    paths should differ. Escape or q closes it."""

    DEFAULT_CSS = """
    SpecDiffScreen { align: center middle; }
    SpecDiffScreen > #diff-box { width: 100%; height: 100%; border: round $primary; background: $surface; }
    SpecDiffScreen #diff-title { text-style: bold; padding: 0 1; }
    SpecDiffScreen #diff-scroll { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "close"),
        Binding("q", "close", "close", show=False),
    ]

    def __init__(self, root: Path):
        super().__init__()
        self.root = Path(root)

    def compose(self) -> ComposeResult:
        with Vertical(id="diff-box"):
            yield Label("What differs from NVIDIA's spec files (- NVIDIA, + this project)", id="diff-title")
            with VerticalScroll(id="diff-scroll"):
                yield Static(diff_text(spec_diffs(self.root)), id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
