"""detectnet_v2's validation block: ``Epoch 40/40``, a rule of ``=``, ``Validation cost: …``,
``Mean average_precision (in %): …`` and the class table (plain or grid)."""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM, ProgressEvent, _to_float

_VAL_COST = re.compile(rf"Validation cost: ({_NUM}|nan)")
_MEAN_AP = re.compile(rf"Mean average_precision \(in %\): ({_NUM}|nan)")


class DetectnetMixin:
    """``ProgressParser`` methods for detectnet_v2's validation block (mode ``val``)."""

    def _start_val(self, events: list[ProgressEvent], keep: bool = False) -> None:
        if self._mode == "val":
            if keep:
                return
            self._end_mode(events)
        elif self._mode is not None:
            self._end_mode(events)
        self._val_cost = self._val_map = None
        self._val_ap = {}
        self._val_table = 0
        self._val_grid = False
        self._val_epoch = self._pending_header
        self._pending_header = None
        self._set_mode("val")

    def _in_val(self, line: str, stripped: str, events: list[ProgressEvent]) -> bool:
        if not stripped:
            if self._val_table == 2:
                self._end_mode(events)
            return True
        if stripped.startswith("Validation cost"):
            m = _VAL_COST.search(stripped)
            if m and self._val_cost is None:
                self._val_cost = _to_float(m.group(1))
                return True
            return False  # a second validation: close this one
        if stripped.startswith("Mean average_precision"):
            m = _MEAN_AP.search(stripped)
            if m and self._val_map is None:
                self._val_map = _to_float(m.group(1))
                return True
            return False
        if "class name" in stripped and "average precision" in stripped:
            self._val_table = 1
            return True
        if stripped.startswith("=") or (stripped[0] in "+-|" and not stripped.strip("+-|= ")):
            if stripped[0] == "+":
                self._val_grid = True
            return True
        if self._val_table:
            if stripped[0] == "|":
                cells = [c.strip() for c in stripped.strip("|").split("|")]
                if len(cells) >= 2:
                    value = _to_float(cells[-1])
                    if value is not None and cells[0]:
                        self._val_ap[cells[0]] = value
                        self._val_table = 2
                        return True
            elif not self._val_grid:
                parts = stripped.rsplit(None, 1)
                if len(parts) == 2 and not parts[0].endswith(":"):
                    value = _to_float(parts[1])
                    if value is not None:
                        self._val_ap[parts[0].strip()] = value
                        self._val_table = 2
                        return True
        elif stripped.startswith("Start to calculate AP"):
            return True
        self._end_mode(events)
        return False

    def _emit_val(self, events: list[ProgressEvent]) -> None:
        if self._val_map is None and not self._val_ap and self._val_cost is None:
            return
        epoch = max_epoch = None
        if self._val_epoch is not None:
            epoch, max_epoch = self._val_epoch
        kpi = {"validation_cost": self._val_cost} if self._val_cost is not None else None
        mean = self._val_map
        if mean is None and self._val_ap:
            mean = sum(self._val_ap.values()) / len(self._val_ap)
        parts = []
        if mean is not None:
            parts.append(f"mAP {mean:.4g}%")
        if self._val_cost is not None:
            parts.append(f"validation cost {self._val_cost:g}")
        self._done = False
        events.append(
            ProgressEvent(
                "validation",
                epoch=epoch,
                max_epoch=max_epoch,
                map=mean,
                ap=dict(self._val_ap) or None,
                kpi=kpi,
                message=", ".join(parts) or None,
            )
        )
        self._val_ap = {}
        self._val_map = self._val_cost = None
        self._val_epoch = None

    # tracebacks
