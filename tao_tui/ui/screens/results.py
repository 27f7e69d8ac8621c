"""Results of one stage's latest run: done/failed, exit code, duration, output files with sizes,
KPIs (mAP and AP per class, accuracy, pruning ratio), and a failure explained with its fix —
``a`` applies it when the fix is a safe value (out of GPU memory -> half the batch size)."""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tao_tui.errors import TaoTuiError
from tao_tui.project import Project
from tao_tui.results import StageResults, stage_results

STATUS_STYLE = {"done": "b green", "failed": "b red", "running": "b yellow", "stopped": "dim"}


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def headline(res: StageResults) -> str:
    """Markup: ``train  done  exit 0  took 0:12:03  run train-…``."""
    style = STATUS_STYLE.get(res.status, "")
    parts = [f"[b]{res.stage}[/b]", f"[{style}]{res.status}[/]" if style else res.status]
    if res.exit_code is not None:
        parts.append(f"exit code {res.exit_code}")
    parts.append(f"took {_duration(res.duration_s)}")
    if res.finished:
        parts.append("finished " + time.strftime("%Y-%m-%d %H:%M", time.localtime(res.finished)))
    if res.run_id:
        parts.append(f"[dim]run {res.run_id}[/]")
    return "  ".join(parts)


class ResultsScreen(Screen):
    BINDINGS = [
        Binding("escape,v,q", "app.pop_screen", "back"),
        Binding("a", "apply_fix", "apply the fix", show=False),
    ]
    DEFAULT_CSS = """
    ResultsScreen #summary { height: auto; padding: 0 1; background: $boost; }
    ResultsScreen #error { height: auto; padding: 0 1; }
    ResultsScreen #tables { height: 1fr; }
    ResultsScreen #kpi-box { width: 40; }
    ResultsScreen #files-box { width: 1fr; }
    ResultsScreen .title { padding: 0 1; color: $text-muted; }
    ResultsScreen DataTable { height: auto; max-height: 100%; }
    """

    def __init__(self, root: Path, stage: str):
        super().__init__()
        self.root = Path(root)
        self.stage = stage
        self.results: StageResults | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        yield Static(id="error")
        with Horizontal(id="tables"):
            with VerticalScroll(id="kpi-box"):
                yield Static("KPIs", classes="title")
                yield DataTable(id="kpis", cursor_type="none", show_cursor=False)
                yield Static("AP per class", classes="title", id="ap-title")
                yield DataTable(id="ap", cursor_type="none", show_cursor=False)
            with VerticalScroll(id="files-box"):
                yield Static(f"results/{self.stage}", classes="title", id="files-title")
                yield DataTable(id="files", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"results · {self.stage}"
        self.sub_title = str(self.root)
        self.query_one("#kpis", DataTable).add_columns("KPI", "value")
        self.query_one("#ap", DataTable).add_columns("class", "AP")
        self.query_one("#files", DataTable).add_columns("file", "size")
        self.load()

    def load(self) -> None:
        res = self.results = stage_results(Project.load(self.root), self.stage)
        self.query_one("#summary", Static).update(headline(res))
        err = res.state.error
        lines = []
        if res.status == "failed":
            if err is not None and err.message:
                lines.append(f"[b red]{err.message}[/]")
                if err.fix:
                    lines.append(f"[b]fix:[/] {err.fix}")
            elif res.message:
                lines.append(f"[b red]{res.message}[/]")
            if res.fix:
                lines.append(f"[b]a[/b] applies the safe fix: {res.fix.label}, then run the stage again (r)")
        elif res.status == "pending":
            lines.append("[dim]not run yet: r on the project screen runs it[/]")
        self.query_one("#error", Static).update("\n".join(lines))
        kpis = self.query_one("#kpis", DataTable)
        kpis.clear()
        for name, value in res.kpis.items():
            kpis.add_row(name, f"{value:.4g}")
        ap = self.query_one("#ap", DataTable)
        ap.clear()
        for name, value in sorted((res.state.ap or {}).items(), key=lambda kv: -kv[1]):
            ap.add_row(name, f"{value:.4g}")
        self.query_one("#ap-title").display = bool(res.state.ap)
        ap.display = bool(res.state.ap)
        files = self.query_one("#files", DataTable)
        files.clear()
        for path, size in res.outputs:
            files.add_row(path, _size(size))
        title = f"results/{self.stage}: {len(res.outputs) + res.more_files} files"
        if res.more_files:
            title += f" (first {len(res.outputs)} listed)"
        self.query_one("#files-title", Static).update(title if res.outputs else f"results/{self.stage}: no files")

    def action_apply_fix(self) -> None:
        res = self.results
        if res is None or res.fix is None:
            self.notify("no safe value fixes this result", timeout=4)
            return
        from tao_tui.workflow.create import set_param

        try:
            set_param(self.root, res.fix.key, res.fix.new)
        except TaoTuiError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        self.notify(f"{res.fix.label}: saved; r runs {self.stage} again", timeout=8)
        self.load()
