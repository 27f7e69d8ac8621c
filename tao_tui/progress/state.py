"""The one fold of events into the current state: epoch, step, loss, mAP, ETA, end, error.

Every reader of progress (``tao-tui status`` from events.jsonl, ``tao-tui progress --summary``, the
wizard's progress panel) folds the same events through :class:`ProgressState` and prints
:meth:`ProgressState.summary`, so they show the same numbers for the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tao_tui.progress.events import ProgressEvent, _fmt_duration
from tao_tui.progress.nemo import headline_metric

# kinds whose ``epoch`` counts epochs completed (a ``step`` event's is the 0-based epoch running)
_EPOCH_COUNTS = ("epoch", "validation", "kpi")


@dataclass
class ProgressState:
    """What a run has reached. Fold events with :meth:`apply`; the runner (or a reader of a run's
    result) sets the container's exit with :meth:`set_exit`.

    * ``epochs_done``: epochs completed (the largest count any event gave: an epoch line, a
      validation block's ``Epoch 40/40``, status.json). ``current_epoch``/``step``/``max_step``:
      the last step event (0-based epoch running, step inside it).
    * ``done``: the log *says* the stage ended (``stage_done`` event). ``finished``: the container
      exited (``exit_code`` set); only that ends a run.
    * ``eta_s``: seconds left, see :meth:`eta`; TAO's own whole-run ETA when it printed one, else
      from the bar's it/s, else from the measured pace (event times or ``clock``).
    * ``clock``: optional ``() -> unix seconds`` used for events without a ``time`` (live use);
      without it the pace comes only from timestamped events.
    """

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
    warnings: list[ProgressEvent] = field(default_factory=list)  # e.g. objects dataset_convert dropped
    events: int = 0
    exit_code: int | None = None
    stopped: bool = False
    done_message: str | None = None
    clock: Callable[[], float] | None = field(default=None, repr=False, compare=False)
    # TAO's whole-run ETA (epoch lines, status.json) and the time it was given
    _tao_eta: float | None = field(default=None, repr=False)
    _tao_eta_at: float | None = field(default=None, repr=False)
    # iterations per second of the last bar
    _rate: float | None = field(default=None, repr=False)
    # pace: (time, fraction) at the first and the latest timed progress event
    _pace0: tuple[float, float] | None = field(default=None, repr=False)
    _pace1: tuple[float, float] | None = field(default=None, repr=False)
    _now: float | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ folding
    def apply(self, ev: ProgressEvent) -> None:
        """Fold one event (any kind, in log order)."""
        self.events += 1
        kind = ev.kind
        t = ev.time
        if t is None and self.clock is not None:
            t = self.clock()
        if t is not None:
            self._now = t
        if ev.max_epoch is not None and kind in ("epoch", "step", "validation"):
            self.max_epoch = ev.max_epoch
        if ev.loss is not None:
            self.loss = ev.loss
        if ev.learning_rate is not None:
            self.learning_rate = ev.learning_rate
        if ev.epoch is not None and kind in _EPOCH_COUNTS:
            if self.epochs_done is None or ev.epoch > self.epochs_done:
                self.epochs_done = ev.epoch
        if kind == "epoch":
            if ev.eta_s is not None:
                self._tao_eta, self._tao_eta_at = ev.eta_s, t
            self.done = False
        elif kind == "step":
            self.current_epoch, self.step, self.max_step = ev.epoch, ev.step, ev.max_step
            if ev.rate is not None:
                self._rate = ev.rate
            self.done = False
        elif kind == "stage_done":
            self.done = True
            self.done_message = ev.message
        elif kind == "error":
            self.error = ev
        elif kind == "warning":
            self.warnings.append(ev)
        if ev.map is not None:
            self.map = ev.map
            self.best_map = ev.map if self.best_map is None else max(self.best_map, ev.map)
        if ev.ap:
            self.ap = dict(ev.ap)
        if ev.kpi and kind in ("kpi", "validation", "warning"):
            self.kpi.update(ev.kpi)
        if t is not None and kind in ("epoch", "step", "validation"):
            fraction = self._progress()
            if fraction is not None:
                if self._pace0 is None or fraction < self._pace0[1]:
                    self._pace0 = (t, fraction)
                self._pace1 = (t, fraction)
        self.eta_s = self.eta()

    def apply_all(self, events: Iterable[ProgressEvent]) -> ProgressState:
        """Fold every event; returns self."""
        for ev in events:
            self.apply(ev)
        return self

    def set_exit(self, exit_code: int | None, stopped: bool = False) -> None:
        """The container exited with ``exit_code`` (None: not known); ``stopped``: on request.
        This, not a log line, is what makes a run finished."""
        self.exit_code = exit_code
        self.stopped = stopped
        self.eta_s = self.eta()

    # ------------------------------------------------------------------ reading
    @property
    def finished(self) -> bool:
        """The container has exited (whatever the log said)."""
        return self.exit_code is not None

    @property
    def epoch(self) -> int | None:
        """The epoch to show against ``max_epoch``: the 1-based epoch running (``current_epoch +
        1``) while a step of it is the latest news, else the epochs completed; never above
        ``max_epoch``. None before any epoch is known."""
        shown = self.epochs_done
        if self.current_epoch is not None and self._step_is_current():
            running = self.current_epoch + 1
            shown = running if shown is None else max(shown, running)
        if shown is not None and self.max_epoch:
            shown = min(shown, self.max_epoch)
        return shown

    def _step_is_current(self) -> bool:
        # a step of an epoch that has since completed is stale (e.g. TF logs every N steps, then
        # the validation block says "Epoch 3/3")
        return self.current_epoch is not None and (
            self.epochs_done is None or self.current_epoch >= self.epochs_done
        )

    def _progress(self) -> float | None:
        if not self.max_epoch:
            return None
        done = float(self.epochs_done or 0)
        if self._step_is_current() and self.step is not None and self.max_step:
            done = max(done, self.current_epoch + min(1.0, self.step / self.max_step))
        return max(0.0, min(1.0, done / self.max_epoch))

    @property
    def fraction(self) -> float | None:
        """0..1 of the training done, or None while it is unknown: 1.0 once the container exited 0,
        else from the epochs (and the step inside the running epoch)."""
        if self.exit_code == 0 and not self.stopped:
            return 1.0
        return self._progress()

    def eta(self) -> float | None:
        """Seconds left, or None when unknown or ended. In order: TAO's own whole-run ETA (TF1
        epoch lines, status.json ``eta``) less the time since it was printed, unless it says 0
        before the last epoch (TAO prints 0:00:00 before it has timed an epoch); the bar's it/s
        over the steps left (tqdm; Keras: its final bar's time per step); the pace measured between the first and the latest timed
        progress event. Validation time is not in the bar's rate: the estimate is low by it."""
        if self.finished or self.done:
            return None
        fraction = self._progress()
        if fraction is not None and fraction >= 1.0:
            return None
        tao = self._tao_eta
        if tao is not None and tao > 0:
            left = tao
            if self._tao_eta_at is not None and self._now is not None:
                left = max(0.0, tao - (self._now - self._tao_eta_at))
            return left
        if self._rate and self.max_step and self.max_epoch:
            if self._step_is_current():
                steps_left = (self.max_step - (self.step or 0)) + max(
                    0, self.max_epoch - (self.current_epoch or 0) - 1
                ) * self.max_step
            else:  # the last bar ended its epoch (Keras prints only the final bar of each)
                steps_left = max(0, self.max_epoch - (self.epochs_done or 0)) * self.max_step
            return max(0.0, steps_left / self._rate)
        if self._pace0 is not None and self._pace1 is not None and fraction is not None:
            (t0, f0), (t1, f1) = self._pace0, self._pace1
            if f1 > f0 and t1 > t0:
                return (t1 - t0) / (f1 - f0) * (1.0 - fraction)
        return None

    def outcome(self) -> str:
        """How the run ended, in a few words: ``finished`` (exit 0), ``failed (exit 2)``,
        ``stopped``; without an exit code: ``the log says it ended``, ``error in the log``,
        ``running``."""
        if self.finished:
            if self.stopped:
                return "stopped"
            return "finished" if self.exit_code == 0 else f"failed (exit {self.exit_code})"
        if self.error is not None:
            return "error in the log"
        if self.done:
            return "the log says it ended"
        return "running"

    def summary(self) -> str:
        """One line: ``epoch 3/80  step 120/2466  loss 0.0512  mAP 40.38 (best 41.02)  ETA 1:02:03``
        (parts absent while unknown; no ETA once ended)."""
        parts = []
        epoch = self.epoch
        if epoch is not None or self.max_epoch:
            parts.append(f"epoch {epoch if epoch is not None else 0}/{self.max_epoch or '?'}")
        if self.step is not None and self.max_step and self._step_is_current() and not self.finished:
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
        elif self.kpi and (headline := headline_metric(self.kpi)):  # NeMo: WER, accuracy, F1
            parts.append(headline)
        eta = self.eta_s
        if eta is not None:
            parts.append(f"ETA {_fmt_duration(eta)}")
        return "  ".join(parts)
