"""The one fold of events into the current state (epoch, step, loss, mAP, ETA, done, error)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tao_tui.progress.events import ProgressEvent, _fmt_duration


@dataclass
class ProgressState:
    """What the UI shows: where training is, last loss, best mAP, ETA, done/error."""

    max_epoch: int | None = None
    epochs_done: int | None = None
    current_epoch: int | None = None  # 0-based epoch in progress (from step events)
    step: int | None = None
    max_step: int | None = None
    loss: float | None = None
    learning_rate: float | None = None
    map: float | None = None
    best_map: float | None = None
    ap: dict[str, float] | None = None
    eta_s: float | None = None
    kpi: dict[str, float] = field(default_factory=dict)
    done: bool = False
    error: ProgressEvent | None = None
    events: int = 0

    def apply(self, ev: ProgressEvent) -> None:
        self.events += 1
        if ev.max_epoch is not None and ev.kind in ("epoch", "step", "validation"):
            self.max_epoch = ev.max_epoch
        if ev.loss is not None:
            self.loss = ev.loss
        if ev.learning_rate is not None:
            self.learning_rate = ev.learning_rate
        if ev.kind == "epoch":
            if ev.epoch is not None:
                self.epochs_done = ev.epoch
            if ev.eta_s is not None:
                self.eta_s = ev.eta_s
            self.done = False
        elif ev.kind == "step":
            self.current_epoch, self.step, self.max_step = ev.epoch, ev.step, ev.max_step
            if ev.eta_s is not None and self.epochs_done is None:
                self.eta_s = ev.eta_s
            self.done = False
        elif ev.kind == "stage_done":
            self.done = True
            self.eta_s = 0.0
        elif ev.kind == "error":
            self.error = ev
        if ev.map is not None:
            self.map = ev.map
            self.best_map = ev.map if self.best_map is None else max(self.best_map, ev.map)
        if ev.ap:
            self.ap = dict(ev.ap)
        if ev.kpi and ev.kind in ("kpi", "validation"):
            self.kpi.update(ev.kpi)

    def apply_all(self, events: Iterable[ProgressEvent]) -> ProgressState:
        for ev in events:
            self.apply(ev)
        return self

    def summary(self) -> str:
        """One line: ``epoch 3/80  step 120/2466  loss 0.0512  mAP 40.38 (best 41.02)  ETA 1:02:03``."""
        parts = []
        if self.max_epoch or self.epochs_done is not None or self.current_epoch is not None:
            epoch = self.current_epoch if self.current_epoch is not None else self.epochs_done
            parts.append(f"epoch {epoch if epoch is not None else 0}/{self.max_epoch or '?'}")
        if self.step is not None and self.max_step:
            parts.append(f"step {self.step}/{self.max_step}")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.5g}")
        if self.map is not None:
            best = (
                f" (best {self.best_map:.2f})"
                if self.best_map is not None and self.best_map != self.map
                else ""
            )
            parts.append(f"mAP {self.map:.2f}{best}")
        if self.eta_s is not None and not self.done:
            parts.append(f"ETA {_fmt_duration(self.eta_s)}")
        return "  ".join(parts)

    @property
    def fraction(self) -> float | None:
        """0..1 of the training done, or None while it is unknown."""
        if self.done:
            return 1.0
        if not self.max_epoch:
            return None
        done = float(self.epochs_done or 0)
        if self.current_epoch is not None and self.step is not None and self.max_step:
            done = max(done, self.current_epoch + min(1.0, self.step / self.max_step))
        return max(0.0, min(1.0, done / self.max_epoch))
