"""Named numbers on ordinary lines (``Accuracy: 72.4``, ``Precision: 0.78 Recall: 0.30``) and which
of them is the mean AP."""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM

_METRIC_PAIR = re.compile(rf"(?<![\w@./-])([A-Za-z][\w@./-]*)\s*[:=]\s*({_NUM})(?=\s|,|;|%|$)")
_BLOCK_PAIR = re.compile(rf"^\s*([A-Za-z][\w@./ -]*?)\s*:\s*({_NUM})\s*$")

_METRIC_WORDS = frozenset(
    "acc accuracy precision recall hmean f1 fscore f1score map map50 map75 miou iou fps ap ap50 ap75 "
    "top1 top5 auc wer cer psnr ssim mae mse rmse".split()
)


_METRIC_HINTS = (
    "acc",
    "prec",
    "recall",
    "mean",
    "map",
    "fps",
    "f1",
    "iou",
    "ap5",
    "ap7",
    "ap:",
    "ap=",
    "ap ",
    "top1",
    "top5",
    "auc",
    "wer",
    "cer",
    "psnr",
    "ssim",
    "mae",
    "mse",
)


def _build_maybe_metric():
    # hints that share a fragment are looked for only when the fragment is there: one search
    # instead of several on the lines that have none of them (most lines)
    groups: dict[str, list[str]] = {}
    for hint in _METRIC_HINTS:
        shared = next((f for f in ("ap", "rec", "top") if f in hint), hint)
        groups.setdefault(shared, []).append(hint)
    tests = []
    for shared, hints in groups.items():
        if hints == [shared]:
            tests.append(f"{shared!r} in s")
        else:
            tests.append(f"({shared!r} in s and (" + " or ".join(f"{h!r} in s" for h in hints) + "))")
    return eval("lambda s: " + " or ".join(tests))  # noqa: S307 - built from our own constants


# a lower-cased line may name a metric from _METRIC_WORDS (cheap test before the pair regex)
_maybe_metric = _build_maybe_metric()


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        return text[2:-1]
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        return text[1:-1]
    return text


def _metric_name_ok(name: str) -> bool:
    low = name.lower()
    for token in re.split(r"[^a-z0-9@]+", low):
        if token in _METRIC_WORDS:
            return True
        for prefix in ("val", "test", "train", "eval", "best", "mean"):
            if token.startswith(prefix) and token[len(prefix) :] in _METRIC_WORDS:
                return True
    return False


def _map_from_kpi(kpi: dict[str, float]) -> float | None:
    for key, value in kpi.items():
        low = key.lower().replace("_", " ")
        if low in ("map", "val map", "mean average precision", "mean average precision (in %)", "test map"):
            return value
    return None
