"""status.json lines (TAO's structured status: epoch/max_epoch/eta, kpi, categorical, SUCCESS/FAILURE)."""

from __future__ import annotations

import json

from tao_tui.progress.error_rules import match_error
from tao_tui.progress.events import ProgressEvent, _clip, _to_float, _to_int, parse_duration
from tao_tui.progress.metrics import _map_from_kpi
from tao_tui.progress.stage_end import _STAGE_DONE


class StatusJsonMixin:
    """``ProgressParser`` methods for status.json."""

    def feed_status_line(self, line: str) -> list[ProgressEvent]:
        """Events from one status.json line. A line without its newline that does not parse yet is
        kept and completed by the next call; bad lines are skipped."""
        if self._status_partial:
            line = self._status_partial + line
            self._status_partial = ""
        terminated = line.endswith("\n")
        text = line.strip()
        if not text:
            return []
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            if not terminated and len(line) < 4_000_000:
                self._status_partial = line
            return []
        if not isinstance(data, dict):
            return []
        try:
            return self._status(data)
        except (TypeError, ValueError, AttributeError, OverflowError):
            return []

    def _status(self, d: dict) -> list[ProgressEvent]:
        events: list[ProgressEvent] = []
        status = d.get("status")
        message = d.get("message")
        message = message if isinstance(message, str) else None
        if "step" in d or "max_step" in d:
            self._status_pyt = 2  # TAO 6.x PyTorch: 0-based epoch, max_epoch = max_epochs - 1
        elif message == "Training loop in progress" and not self._status_pyt:
            self._status_pyt = 1  # PyTorch: 0-based epoch
        graphical = d.get("graphical") if isinstance(d.get("graphical"), dict) else {}

        if "epoch" in d and ("max_epoch" in d or "eta" in d):
            epoch, max_epoch = _to_int(d.get("epoch")), _to_int(d.get("max_epoch"))
            base = self._epoch_base
            if base == 1:
                pass  # PyTorch 5.0-5.5: the count of epochs done, max_epoch = num_epochs (X8)
            elif base == 0 or self._status_pyt:
                epoch = epoch + 1 if epoch is not None else None  # 0-based index -> epochs done
            if base != 1 and self._status_pyt == 2:
                max_epoch = max_epoch + 1 if max_epoch is not None else None
            if epoch is not None and max_epoch is not None:
                epoch = min(epoch, max_epoch)
            self._done = False
            events.append(
                ProgressEvent(
                    "epoch",
                    epoch=epoch,
                    max_epoch=max_epoch,
                    step=_to_int(d.get("step")),
                    max_step=_to_int(d.get("max_step")),
                    loss=_to_float(graphical.get("loss")),
                    learning_rate=_to_float(graphical.get("learning_rate")),
                    eta_s=parse_duration(d.get("eta")),
                )
            )

        low = (message or "").lower()
        announced = "metrics generated" in low

        kpi_raw = d.get("kpi")
        cat_raw = d.get("categorical")
        kpi_key = json.dumps(kpi_raw, sort_keys=True, default=str) if isinstance(kpi_raw, dict) else None
        cat_key = json.dumps(cat_raw, sort_keys=True, default=str) if isinstance(cat_raw, dict) else None
        kpi_new = kpi_key is not None and (announced or kpi_key != self._last_kpi)
        cat_new = cat_key is not None and (announced or cat_key != self._last_cat)
        self._last_kpi, self._last_cat = kpi_key, cat_key

        if kpi_new or cat_new:
            kpi: dict[str, float] = {}
            if isinstance(kpi_raw, dict):
                for k, v in kpi_raw.items():
                    number = _to_float(v)
                    if number is not None:
                        kpi[str(k)] = number
            ap = None
            counts: dict[str, float] = {}
            if isinstance(cat_raw, dict) and cat_new:
                for cat, values in cat_raw.items():
                    if not isinstance(values, dict):
                        continue
                    numbers = {str(k): n for k, v in values.items() if (n := _to_float(v)) is not None}
                    if cat == "average_precision":
                        ap = numbers
                    else:
                        counts.update(
                            {f"{cat}.{k}" if cat != "num_objects" else k: v for k, v in numbers.items()}
                        )
            mean = _map_from_kpi(kpi)
            if ap is not None or mean is not None:
                kind = "validation"
            else:
                kind = "kpi"
            if counts:
                kpi.update(counts)
            if kpi or ap:
                loss = kpi.get("train_loss")
                events.append(
                    ProgressEvent(kind, map=mean, ap=ap, kpi=kpi or None, loss=loss, message=message)
                )

        if status == "FAILURE":
            detail = message or str(d.get("Error") or "the stage failed")
            if d.get("Error") and message:
                detail = f"{message}: {d.get('Error')}"
            rule = match_error(detail)
            self._emit_error(rule, detail, events)
        elif status == "SUCCESS":
            self._stage_done(message or "Stage finished successfully.", events)
        elif message:
            if any(p in message for p in _STAGE_DONE):
                self._stage_done(message, events)
            elif not events:
                events.append(ProgressEvent("info", message=_clip(message)))
        return events
