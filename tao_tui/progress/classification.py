"""TF1 classification evaluate output: ``Evaluation Loss: 0.12``, ``Evaluation Top K accuracy: 0.97``
and scikit-learn's ``classification_report`` (a ``precision recall f1-score support`` header, one row
per class, ``accuracy``, ``macro avg``, ``weighted avg``; older scikit-learn: ``micro avg`` /
``avg / total``). Source: TAO's classification evaluate prints these after ``model.evaluate`` and
``sklearn.metrics.classification_report`` (the report's layout is scikit-learn's)."""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM, ProgressEvent, _num

_EVAL_METRIC = re.compile(rf"^Evaluation ([A-Za-z][A-Za-z0-9 _-]*?)\s*:\s*({_NUM}|nan)\s*$")
_REPORT_HEADER = re.compile(r"^precision\s+recall\s+f1-score\s+support$")
_REPORT_ROW = re.compile(rf"^(\S.*?)\s+({_NUM})\s+({_NUM})\s+({_NUM})\s+(\d+)$")
_REPORT_ACCURACY = re.compile(rf"^accuracy\s+({_NUM})\s+(\d+)$")
_AVERAGES = ("macro avg", "weighted avg", "micro avg", "samples avg", "avg / total")


def eval_metric_event(m: re.Match) -> ProgressEvent | None:
    """``Evaluation Loss: 0.12`` -> kpi ``loss`` (and the event's ``loss``); ``Evaluation Top K
    accuracy: 0.97`` -> kpi ``top_k_accuracy``."""
    value = _num(m.group(2))
    if value is None:
        return None
    key = "_".join(m.group(1).lower().replace("-", " ").split())
    text = f"Evaluation {m.group(1)}: {m.group(2)}"
    return ProgressEvent("kpi", loss=value if key == "loss" else None, kpi={key: value}, message=text)


class ClassificationReportMixin:
    """``ProgressParser`` methods for scikit-learn's classification report (mode ``report``)."""

    def _in_report(self, stripped: str, events: list[ProgressEvent]) -> bool:
        if not stripped:
            return True
        rows = self._report
        m = _REPORT_ACCURACY.match(stripped)
        if m is not None:
            rows["accuracy"] = (float(m.group(1)),)
            return True
        m = _REPORT_ROW.match(stripped)
        if m is not None:
            name = m.group(1)
            rows[name] = tuple(float(g) for g in m.groups()[1:])
            if name in ("weighted avg", "avg / total"):  # the report's last row
                self._end_mode(events)
            return True
        self._end_mode(events)
        return False

    def _emit_report(self, events: list[ProgressEvent]) -> None:
        rows, self._report = self._report, {}
        if not rows:
            return
        kpi: dict[str, float] = {}
        classes = 0
        for name, values in rows.items():
            if name == "accuracy":
                kpi["accuracy"] = values[0]
                continue
            key = name.replace(" / ", "_").replace(" ", "_") if name in _AVERAGES else name
            classes += name not in _AVERAGES
            for metric, value in zip(("precision", "recall", "f1-score", "support"), values, strict=True):
                kpi[f"{key}.{metric}"] = value
        parts = [f"{classes} classes"]
        if "accuracy" in kpi:
            parts.append(f"accuracy {kpi['accuracy']:g}")
        for avg in ("macro_avg", "weighted_avg", "avg_total"):
            if f"{avg}.f1-score" in kpi:
                parts.append(f"{avg.replace('_', ' ')} f1 {kpi[avg + '.f1-score']:g}")
                break
        events.append(ProgressEvent("kpi", kpi=kpi, message="Classification report: " + ", ".join(parts)))
