"""Loss and mAP curves of the shown run (textual-plotext), and the per-class AP table.

Points come from the same ProgressEvents as the progress line. Each series keeps at most
``MAX_POINTS`` points (:class:`Series` halves itself and doubles its stride), and the plot is
redrawn at most once per epoch or validation event, never per step (plotext rebuilds the
whole chart, ~ms per redraw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from tao_tui.progress import ProgressEvent, ProgressState

MAX_POINTS = 1_000


class Series:
    """(x, y) points, decimated to ≤ ``limit``: every ``stride``-th point is kept; when full,
    every other kept point goes and the stride doubles. Keeps the shape of the curve at a
    fixed cost whatever the run's length."""

    def __init__(self, limit: int = MAX_POINTS):
        self.limit = max(2, limit)
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.stride = 1
        self._seen = 0

    def add(self, x: float, y: float) -> None:
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        self.xs.append(x)
        self.ys.append(y)
        if len(self.xs) > self.limit:
            self.xs, self.ys = self.xs[::2], self.ys[::2]
            self.stride *= 2

    def __len__(self) -> int:
        return len(self.xs)


def _x(ev: ProgressEvent, state: ProgressState, count: int) -> float:
    """Where an event sits on the epoch axis: completed epochs, or epoch + step fraction."""
    if ev.kind == "step" and ev.epoch is not None and ev.step is not None and ev.max_step:
        return ev.epoch + min(1.0, ev.step / ev.max_step)
    if ev.epoch is not None:
        return float(ev.epoch)
    if state.epochs_done is not None:
        return float(state.epochs_done)
    return float(count)


class Curves(Horizontal):
    """Loss (and mAP, right) over epochs; the per-class AP of the last validation beside."""

    DEFAULT_CSS = """
    Curves { height: 1fr; }
    Curves #plots { width: 1fr; }
    Curves PlotextPlot { height: 1fr; min-height: 6; }
    Curves #ap-box { width: 30; display: none; }
    Curves #ap-box.shown { display: block; }
    Curves #ap-title { padding: 0 1; color: $text-muted; }
    Curves #ap { height: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss = Series()
        self.map = Series()
        self.redraws = 0
        self._count = 0
        self.shown = False  # the screen sets it while the Curves tab is active
        self._dirty = False  # points or an AP table arrived while hidden: drawn when shown
        self._ap: dict[str, float] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="plots"):  # the plot is mounted with the first points (plotext loads then)
            yield Static("[dim]loss and mAP curves appear with the first epoch or validation[/]", id="no-plot")
        with Vertical(id="ap-box"):
            yield Static("AP per class (last validation)", id="ap-title")
            yield DataTable(id="ap", cursor_type="none", show_cursor=False)

    def on_mount(self) -> None:
        self.query_one("#ap", DataTable).add_columns("class", "AP")

    def set_shown(self, shown: bool) -> None:
        """The Curves tab became visible (draw what arrived meanwhile) or hidden (stop drawing:
        plotext rebuilds the whole chart, and its first import costs ~0.1 s)."""
        self.shown = shown
        if shown and self._dirty:
            self._dirty = False
            self._show_ap(self._ap)
            self._draw()

    def update(self, events: list[ProgressEvent] | None, state: ProgressState) -> None:
        """A ProgressPanel listener: ``None`` starts over; else add the batch's points and
        redraw when it held an epoch or validation event."""
        if events is None:
            self.loss, self.map, self._count, self._ap = Series(), Series(), 0, None
            redraw, new_ap = True, True
        else:
            redraw = new_ap = False
            for ev in events:
                self._count += 1
                if ev.loss is not None and ev.kind in ("step", "epoch"):
                    self.loss.add(_x(ev, state, self._count), ev.loss)
                if ev.map is not None:
                    self.map.add(_x(ev, state, self._count), ev.map)
                if ev.kind in ("epoch", "validation", "stage_done"):
                    redraw = True
                if ev.ap:
                    self._ap, new_ap = dict(ev.ap), True
        if not self.shown:
            self._dirty = self._dirty or redraw or new_ap
            return
        if new_ap:
            self._show_ap(self._ap)
        if redraw:
            self._draw()

    def _draw(self) -> None:
        if not len(self.loss) and not len(self.map) and not self.query("#plot"):
            return
        plots = self.query("#plot")
        if not plots:
            from textual_plotext import PlotextPlot

            self.query_one("#no-plot").display = False
            self.query_one("#plots").mount(PlotextPlot(id="plot"))
            self.call_after_refresh(self._draw)
            return
        self.redraws += 1
        plot = plots.first()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss" + (" · mAP (right)" if len(self.map) else ""))
        plt.xlabel("epoch")
        if len(self.loss):
            plt.plot(self.loss.xs, self.loss.ys, marker="braille", label="loss")
        if len(self.map):
            plt.plot(self.map.xs, self.map.ys, marker="braille", label="mAP", yside="right")
        plot.refresh()

    def _show_ap(self, ap: dict[str, float] | None) -> None:
        box = self.query_one("#ap-box")
        table = self.query_one("#ap", DataTable)
        table.clear()
        if not ap:
            box.remove_class("shown")
            return
        for name, value in sorted(ap.items(), key=lambda kv: -kv[1]):
            table.add_row(name, f"{value:.4g}")
        box.add_class("shown")
