"""TF1 Keras / estimator logs: ``Epoch 3/80: loss: … ETA: …`` (TAO's epoch line), estimator step
lines ``epoch = 0.5, learning_rate = …, loss = …, step = 120``, Keras bars ``12/100 [==>..] - ETA: 1:02
- loss: 0.4`` under an ``Epoch 3/80`` header, ``Samples / sec`` counters, Lightning's ``max_epochs=N
reached``."""

from __future__ import annotations

import re

from tao_tui.progress.events import (
    _NONE9,
    _NUM,
    ProgressEvent,
    _clip,
    _num,
    _to_float,
    _to_int,
    parse_duration,
)
from tao_tui.progress.metrics import _map_from_kpi

_TF1_EPOCH = re.compile(
    rf"Epoch (\d+)/(\d+): loss: ({_NUM}|nan|inf) learning rate: (\S+) Time taken: (.*?) ETA: (.*?)\s*$"
)
_EPOCH_HEADER = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_TF_STEP = re.compile(
    rf"epoch = ({_NUM}), learning_rate = ({_NUM}|nan), loss = ({_NUM}|nan|inf), step = (\d+)"
)
_TF_PAIR = re.compile(rf"\b(\w+) = ({_NUM}|nan|inf)")
_KERAS_BAR = re.compile(r"^\s*(\d+)/(\d+) \[[=>.]*\] - (?:ETA: (\S+)|(\d+)s)(.*)$")
_KERAS_PAIR = re.compile(rf" - (\w+): ({_NUM}|nan)")
_MAX_EPOCHS = re.compile(r"max_epochs=(\d+)`? reached")
_SAMPLES = re.compile(rf"Samples / sec: ({_NUM})")
_KERAS_STEP_TIME = re.compile(rf"\b({_NUM})(us|ms|s)/step\b")
_TF_STEP_SEARCH = _TF_STEP.search


def _keras_rate(rest: str | None) -> float | None:
    """Steps per second from the time per step Keras prints on an epoch's final bar
    (``742/742 [====] - 232s 313ms/step - loss: 18.98`` -> 1 / 0.313); None if absent."""
    if not rest or "/step" not in rest:
        return None
    m = _KERAS_STEP_TIME.search(rest)
    if m is None:
        return None
    seconds = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    return 1.0 / seconds if seconds > 0 else None
_SAMPLES_SEARCH = _SAMPLES.search


class Tf1Mixin:
    """``ProgressParser`` methods for TF1 epoch/step lines."""

    def _epoch_lines(self, line: str, events: list[ProgressEvent]) -> bool:
        if "step = " in line:
            m = _TF_STEP.search(line)
            if m is not None:  # the TAO estimator's own order
                self._tf_step(m.group(0), m.groups(), events)
                return True
            pairs = dict(_TF_PAIR.findall(line))
            if "step" in pairs and ("loss" in pairs or "epoch" in pairs):
                values = (
                    pairs.get("epoch"),
                    pairs.get("learning_rate") or pairs.get("lr"),
                    pairs.get("loss"),
                )
                self._tf_step(line, (*values, pairs["step"]), events)
                return True
        if "Epoch " in line:
            m = _TF1_EPOCH.search(line)
            if m is not None:
                epoch, max_epoch = int(m.group(1)), int(m.group(2))
                self._max_epoch_hint = max_epoch
                self._done = False
                events.append(
                    ProgressEvent(
                        "epoch",
                        epoch=epoch,
                        max_epoch=max_epoch,
                        loss=_to_float(m.group(3)),
                        learning_rate=_to_float(m.group(4)),
                        eta_s=parse_duration(m.group(6)),
                    )
                )
                return True
            m = _EPOCH_HEADER.match(line)
            if m is not None:
                # "Epoch 120/120" + "=====" = detectnet_v2 validation header (epochs done);
                # "Epoch 3/80" + progress bar = Keras (1-based epoch now running). Decide later.
                self._pending_header = (int(m.group(1)), int(m.group(2)))
                self._max_epoch_hint = int(m.group(2))
                return True
        m = _MAX_EPOCHS.search(line) if "max_epochs=" in line else None
        if m is not None:
            max_epoch = int(m.group(1))
            self._max_epoch_hint = max_epoch
            events.append(ProgressEvent("epoch", epoch=max_epoch, max_epoch=max_epoch, message=_clip(line)))
            return True
        return False

    def _samples(self, line: str, m: re.Match, events: list[ProgressEvent]) -> None:
        # "Train Samples / sec: 57.3" -> kpi train_samples_per_sec (the word before is optional)
        start = m.start()
        before = line[start - 24 if start > 24 else 0 : start].split()
        word = before[-1] if before and before[-1].isalpha() and before[-1][0].isupper() else ""
        number = m.group(1)
        value = _num(number)
        if value is not None:
            if word:
                key, label = f"{word.lower()}_samples_per_sec", f"{word} Samples / sec: {number}"
            else:
                key, label = "samples_per_sec", f"Samples / sec: {number}"
            # positional (kind, 9 x None, message, fix, rate, kpi): cheaper than keywords
            events.append(ProgressEvent("info", *_NONE9, label, None, None, {key: value}))

    def _tf_step(self, text: str, values: tuple, events: list[ProgressEvent]) -> None:
        """``values``: (epoch, learning_rate, loss, global step) as captured text (or None)."""
        if text == self._last_tf_line:  # TF prints each step line twice (absl + TAO logger)
            return
        self._last_tf_line = text
        epoch_t, lr_t, loss_t, step_t = values
        try:  # a plain integer (the usual case) is what _to_int would return, only cheaper
            gstep = int(step_t) if len(step_t) < 16 else _to_int(step_t)
        except (TypeError, ValueError):
            gstep = _to_int(step_t)
        epoch_f = _num(epoch_t) if epoch_t else None
        key = (epoch_f, gstep)
        if key == self._last_step:
            return
        self._last_step = key
        self._done = False
        epoch = max_step = None
        step = gstep
        if epoch_f is not None and gstep is not None:
            epoch = int(epoch_f)
            if epoch_f > 0 and gstep > 0:
                max_step = round(gstep / epoch_f) or 1  # at least 1 (gstep / epoch_f > 0)
                step = gstep - epoch * max_step
                if step < 0:
                    step = 0
        events.append(
            ProgressEvent(
                "step",
                epoch,
                self._max_epoch_hint,
                step,
                max_step,
                _num(loss_t) if loss_t else None,
                _num(lr_t) if lr_t else None,
            )
        )

    def _keras_bar(self, line: str, events: list[ProgressEvent]) -> bool:
        m = _KERAS_BAR.match(line)
        if m is None:
            return False
        header = self._pending_header or self._keras_epoch
        if self._pending_header is not None:
            self._keras_epoch = self._pending_header
            self._pending_header = None
        step, total = int(m.group(1)), int(m.group(2))
        pairs = dict(_KERAS_PAIR.findall(m.group(5) or ""))
        epoch = max_epoch = None
        if header is not None:
            epoch, max_epoch = header[0] - 1, header[1]  # Keras prints 1-based epochs
        key = ("keras", epoch, step, total)
        if key != self._last_step:
            self._last_step = key
            self._done = False
            events.append(
                ProgressEvent(
                    "step",
                    epoch=epoch,
                    max_epoch=max_epoch,
                    step=step,
                    max_step=total,
                    loss=_to_float(pairs.get("loss")),
                    eta_s=parse_duration(m.group(3)) if m.group(3) else 0.0,
                    rate=_keras_rate(m.group(5)),
                )
            )
            if step >= total and epoch is not None:
                events.append(
                    ProgressEvent(
                        "epoch", epoch=epoch + 1, max_epoch=max_epoch, loss=_to_float(pairs.get("loss"))
                    )
                )
            if step >= total:  # the epoch's last bar carries its metrics: "- acc: 0.65 - val_acc: 0.70"
                metrics = {k: v for k, t in pairs.items() if k != "loss" and (v := _to_float(t)) is not None}
                if metrics:
                    events.append(
                        ProgressEvent(
                            "kpi",
                            epoch=epoch + 1 if epoch is not None else None,
                            kpi=metrics,
                            map=_map_from_kpi(metrics),
                            message=", ".join(f"{k} {v:g}" for k, v in metrics.items()),
                        )
                    )
        return True
