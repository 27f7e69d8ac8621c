"""The parser's fast gate (a handful of substring tests every console line meets first) and the
clean-up of a line (engine timestamp, logger prefixes, ``\r`` segments, ANSI escapes)."""

from __future__ import annotations

import re

from tao_tui.progress.error_rules import ERROR_RULES

# --------------------------------------------------------------------------------------------
# the line gate


# Substrings that every interesting console line contains at least one of. Each costs ~5-15 ns on
# a line without its guard character (see _guarded) and ~40-60 ns more on a typical 130-character
# line with it, so the list stays short: an anchor may be a fragment shared by several triggers.
# Lines that pass go through the (much slower) full dispatch.
_BASE_ANCHORS = (
    # the `or` chain stops at the first hit: the anchors of the most frequent progress lines first
    "poch",  # TF1 "Epoch 3/80: loss", TF step "epoch = 0.01", Lightning "Epoch 0:", max_epochs=
    "%|",  # tqdm bars (also when another line is glued after them)
    "Samples",  # Train Samples / sec
    "step = ",  # TF estimator "loss = 0.35, step = 100" (unet, efficientdet: no epoch in the line)
    "rror",  # "XxxError: msg" (traceback end), "Error response from daemon"
    "Traceback",
    "alidation",  # Validation cost/period/DataLoader
    "valuation",  # Evaluation metrics/finished/Results ("Tfrecords generation complete" has "omplete")
    "omplete",  # Training loop complete(d), job complete
    "d succes",  # ... finished successfully (not the "Successfully opened dynamic library" chatter)
    "xport",  # Model exported to ..., Export finished
    "recision",  # Mean average_precision, the AP table header, Precision: 0.78
    "Pruning",  # Pruning ratio, Pruning finished
    "converter",  # dataset_convert logger names (partition/shard, Num images, Class map)
    "Time taken to run",  # TF1 "Time taken to run __main__:main: 0:01:02" (end of a stage)
    "] - ",  # Keras progress bar "12/100 [===>....] - ETA: 1:02 - loss: 0.4"
)
# Only looked for on short lines (metric prints are short; long chatter skips these checks).
_SHORT_ANCHORS = ("ccuracy", "ecall", "mean", "mAP", "FPS", "Class map", "Num images", "Start")
_SHORT_LINE = 140


def _build_gate():
    from tao_tui.progress.nemo import NEMO_ANCHORS  # NeMo's result blocks (conversational networks)

    # NeMo's result headers are short lines: looked for with the short anchors only
    anchors = list(_BASE_ANCHORS)
    for rule in ERROR_RULES:
        anchors.extend([rule.anchor] if isinstance(rule.anchor, str) else rule.anchor)
    anchors = [a for a in anchors if a]

    def minimal(items: list[str]) -> list[str]:
        # drop anchors that contain another anchor (the shorter one already catches them)
        items = list(dict.fromkeys(items))
        return [a for a in items if not any(b != a and b in a for b in anchors + items)]

    anchors = minimal(anchors)
    short = [a for a in minimal([*_SHORT_ANCHORS, *NEMO_ANCHORS]) if not any(b in a for b in anchors)]

    src = f"lambda s: {_guarded(anchors)} or (len(s) < {_SHORT_LINE} and ({_guarded(short)}))"
    return eval(src), tuple(anchors) + tuple(short)  # noqa: S307 - built from our own constants


# Each anchor is looked for behind a one-character test of its rarest character: a one-character
# `in` is a memchr (~5 ns on a 130-character line), a longer needle a scan (~40-70 ns), and most
# chatter lacks the guard character, so it skips the scan. Exact by construction: the guard is a
# character of the anchor, so a line without it cannot hold the anchor. The rarity below only
# decides the speed: English letters by frequency, most frequent first; capitals rarer than any
# lower-case letter, punctuation rarer still; the characters of the engine timestamp every run-log
# line starts with ("2026-11-28T02:12:15.832199016Z ") are in every line, so never a guard.
_LETTER_RANK = "etaoinsrhldcumfpgwybvkxjqz"
_IN_TIMESTAMP = frozenset("0123456789-:.TZ ")


def _rarity(c: str) -> int:
    if c in _IN_TIMESTAMP:
        return -1
    if c in _LETTER_RANK:
        return _LETTER_RANK.index(c)
    if c.lower() in _LETTER_RANK:
        return len(_LETTER_RANK) + _LETTER_RANK.index(c.lower())
    return 2 * len(_LETTER_RANK)


def _guarded(anchors: list[str]) -> str:
    """The source of an ``or`` chain over ``s``: is one of ``anchors`` in ``s``. Anchors that
    share their guard character are grouped under one test; the groups keep the order of their
    first anchor (the frequent progress anchors first: the ``or`` stops at the first hit)."""
    groups: dict[str, list[str]] = {}
    for a in anchors:
        groups.setdefault(max(a, key=_rarity), []).append(a)
    tests = []
    for guard, items in groups.items():
        if items == [guard]:  # a one-character anchor is its own guard
            tests.append(f"{guard!r} in s")
        else:
            tests.append(f"({guard!r} in s and (" + " or ".join(f"{a!r} in s" for a in items) + "))")
    return " or ".join(tests) or "False"


_gate, GATE_ANCHORS = _build_gate()
# a line may hold an error worth matching against the whole table
_ERROR_NEEDLES = ["rror"] + [
    g
    for g in dict.fromkeys(g for r in ERROR_RULES if r.standalone for g in r.gate)
    if "rror" not in g  # already caught by 'rror'
]
_maybe_error = eval("lambda s: " + _guarded(_ERROR_NEEDLES))  # noqa: S307 - built from our own constants


_ENGINE_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)? ")
_LEVELS = r"(?:INFO|WARNING|WARN|ERROR|DEBUG|CRITICAL|FATAL)"
_TS = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?"
_PREFIX = re.compile(
    rf"""(?:
      {_TS}\s+(?:\[TAO\ Toolkit\]\s+)?\[{_LEVELS}\]\s+\S+(?:\s+\d+)?:\ ?      # 5.x / 3.x launcher, TF1 train
    | {_TS}\s+-\s+\S+\s+-\s+{_LEVELS}\s+-\ ?                               # 3.x: asctime - name - LEVEL - msg
    | \[NeMo\ [IWEDC]\ {_TS}\s+[\w.]+:\d+\]\ ?                                # NeMo 3.x/4.x: [NeMo I date time mod:line]
    | \[{_TS}\s+-\s+[^\]]*?\s+-\s+{_LEVELS}\]\ ?                           # PyTorch: [asctime - TAO Toolkit - name - LEVEL]
    | {_LEVELS}:[\w.]+:                                                    # INFO:tensorflow:msg
    | [IWEF]\d{{4}}\ \d\d:\d\d:\d\d\.\d+\s+\d+\s+\S+\]\ ?                  # absl/glog C++ "I0131 11:05:27.929 12 x.cc:1] "
    )""",
    re.X,
)
_PREFIX_FIRST = frozenset("0123456789[IWEDCF")
_LEVEL_PREFIXES = ("INFO:", "WARNING:", "WARN:", "ERROR:", "DEBUG:", "CRITICAL:", "FATAL:")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b")
_ANSI_REMNANT = re.compile(r"(?:(?<=[\]|])|^)\[A")


def _clean(line: str) -> str:
    """One raw line -> the text the terminal would show: newline dropped, the last carriage-return
    segment kept, ANSI escapes (and their '[A' remnants) removed."""
    if line.endswith("\n"):
        line = line[:-1]
    if "\r" in line:
        parts = [p for p in line.split("\r") if p.strip()]
        line = parts[-1] if parts else ""
    if "\x1b" in line:
        line = line.replace("\x1b[A", "")
        if "\x1b" in line:
            line = _ANSI.sub("", line)
    if "[A" in line:
        line = _ANSI_REMNANT.sub("", line)
    return line
