"""TAO console output and ``status.json`` lines -> typed :class:`ProgressEvent`.

Pure Python, standard library only (the core never imports UI or engine code).

One :class:`ProgressParser` per run. ``feed_line`` takes one console line (as the container
printed it, or as tao-tui's run log stores it: ``<RFC3339Nano timestamp> <line>``) and returns the
events that line completes; ``feed_status_line`` does the same for one ``status.json`` line.
Multi-line blocks (the per-class AP table, a Python traceback, the dataset_convert class map)
produce their event when the block ends; call :meth:`ProgressParser.flush` at end of input.

Event semantics (what the numbers mean, whatever TAO printed):

* ``epoch`` events: ``epoch`` = epochs *completed*, ``max_epoch`` = total epochs, so
  ``epoch / max_epoch`` is the fraction done. PyTorch's 0-based status.json numbers
  (6.x: ``max_epoch = max_epochs - 1``) are normalised to that.
* ``step`` events: ``epoch`` = 0-based index of the epoch in progress, ``step`` / ``max_step``
  = position inside that epoch (TF1's global step is converted using its fractional epoch).
* ``validation``: ``map`` (mean AP, in %) and ``ap`` (per class) once the table has ended.
* ``kpi``: numbers in ``kpi`` (pruning ratio, accuracy, precision/recall/hmean, ...).
* ``stage_done``: the stage says it finished. ``error``: ``message`` in plain words and a ``fix``.
* ``info``: everything else worth showing (dataset_convert shards, class map, throughput, ...).

The hot path is a handful of substring tests: a line that contains none of the anchor words
costs well under a microsecond; regexes only run on lines that passed that gate.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ERROR_RULES",
    "ErrorRule",
    "ProgressEvent",
    "ProgressParser",
    "ProgressState",
    "format_event",
    "parse_duration",
    "parse_file",
    "parse_lines",
]

KINDS = ("epoch", "step", "validation", "kpi", "stage_done", "error", "info")


@dataclass(slots=True)
class ProgressEvent:
    kind: str  # epoch | step | validation | kpi | stage_done | error | info
    epoch: int | None = None
    max_epoch: int | None = None
    step: int | None = None
    max_step: int | None = None
    loss: float | None = None
    learning_rate: float | None = None
    map: float | None = None
    eta_s: float | None = None
    ap: dict[str, float] | None = None
    message: str | None = None
    fix: str | None = None
    # Additions to docs/contracts.md (optional, omitted when None):
    rate: float | None = None  # iterations per second (tqdm bars)
    kpi: dict[str, float] | None = None  # named numbers: pruning_ratio, precision, num_images_train...
    class_map: dict[str, str] | None = None  # dataset_convert: label in GT -> label in tfrecords

    @classmethod
    def from_dict(cls, data: dict) -> ProgressEvent:
        """The inverse of ``to_dict`` (events.jsonl lines); unknown keys are ignored."""
        return cls(**{k: v for k, v in data.items() if k in _EVENT_FIELDS})

    def to_dict(self) -> dict:
        """The event as a JSON-ready dict; absent (None) keys omitted."""
        out = {}
        for name in _EVENT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


_EVENT_FIELDS = tuple(ProgressEvent.__dataclass_fields__)
_NONE9 = (None,) * 9  # epoch .. ap, for positional construction of message events
assert _EVENT_FIELDS[1:10] == (
    "epoch",
    "max_epoch",
    "step",
    "max_step",
    "loss",
    "learning_rate",
    "map",
    "eta_s",
    "ap",
)


# --------------------------------------------------------------------------------------------
# small parsers


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_DURATION = re.compile(r"\s*(?:(-?\d+)\s*(?:days?|d),?\s*)?(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)\s*$")


_DURATION_CACHE: dict[str, float | None] = {}


def parse_duration(text: object) -> float | None:
    """``str(timedelta)`` ("1 day, 2:03:04.5", "0:01:23.456000") or tqdm ("05:31", "1:13:29")
    -> seconds. None for "?", negative or unparsable values."""
    if text.__class__ is str:
        try:
            return _DURATION_CACHE[text]
        except KeyError:
            pass
        value = _parse_duration(text)
        if len(_DURATION_CACHE) > 4096:
            _DURATION_CACHE.clear()
        _DURATION_CACHE[text] = value
        return value
    return _parse_duration(text)


def _parse_duration(text: object) -> float | None:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        return value if math.isfinite(value) and value >= 0 else None
    if not isinstance(text, str) or len(text) > 64:
        return None
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() and p.isascii() for p in parts):  # "05:31", "1:09:29"
        total = 0
        for p in parts:
            total = total * 60 + int(p)
        return float(total)
    m = _DURATION.match(text)
    if not m:
        return None
    days, hours, minutes, seconds = m.groups()
    total = int(minutes) * 60 + float(seconds)
    if hours is not None:
        total += int(hours) * 3600
    if days is not None:
        total += int(days) * 86400
    return total if total >= 0 else None


def _to_float(value: object) -> float | None:
    """float from a number or a numeric string ("0.41", "1.26e-05"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str) and len(value) < 64:
        try:
            result = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def _num(text: str) -> float | None:
    """float from regex-captured text; None for nan/inf/garbage."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0.0 else None


def _to_int(value: object) -> int | None:
    number = _to_float(value)
    if number is None or abs(number) > 1e15:
        return None
    return int(number)


def _clip(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# error matchers: one table, easy to extend


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """``gate``: any of these substrings must be in the text; ``pattern`` (optional) must then
    match too. Every rule is tried on tracebacks, status.json FAILURE messages and on log lines that
    contain "rror"; ``standalone`` rules also on any other line that reaches the dispatcher.
    ``anchor``: a substring added to the cheap per-line gate so that a bare line (no "Error" in it)
    reaches the dispatcher at all; each anchor costs ~50 ns on every line, so use them sparingly."""

    id: str  # the pitfall id in reference/tao-pitfalls.md
    gate: tuple[str, ...]
    message: str
    fix: str
    pattern: re.Pattern[str] | None = None
    standalone: bool = False
    anchor: str = ""


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text)


ERROR_RULES: list[ErrorRule] = [
    ErrorRule(
        "P5",
        ("memory", "OOM when allocating", "ResourceExhausted", "OUT_OF_MEMORY"),
        "The GPU ran out of memory.",
        "Lower the batch size (batch_size_per_gpu / dataset.batch_size), use a smaller input "
        "resolution or a smaller backbone. Check with nvidia-smi that no other process holds GPU memory.",
        _rx(r"out of (?:GPU )?memory|OOM when allocating|ResourceExhausted|OutOfMemoryError|OUT_OF_MEMORY"),
        standalone=True,
        anchor="memory",
    ),
    ErrorRule(
        "M6",
        ("shared memory", "Bus error"),
        "A data-loader worker crashed: the container has too little shared memory (/dev/shm).",
        'Set "shm_size": "16G" in DockerOptions of ~/.tao_mounts.json (or lower num_workers).',
    ),
    ErrorRule(
        "K1",
        ("Invalid decryption", "without the encryption key"),
        "TAO could not decrypt the model file: the key does not match the key the model was saved with.",
        "Use the same key (-k / $KEY / encryption_key) that was used when this model was trained or "
        "exported. NGC pretrained models use the key on their model card (often tlt_encode).",
        standalone=True,
        anchor="decryption",
    ),
    ErrorRule(
        "K2",
        ("zipfile extracted was corrupt", "checkpoint file is not saved properly"),
        "The last training checkpoint could not be read (wrong key, or it was cut off).",
        "Resume with the same key, or delete the newest model.epoch-*.ckzip in the results folder and run again.",
    ),
    ErrorRule(
        "P1",
        ("Pretrained model file not found", "Provide only one pretrained model file"),
        "The pretrained weights named in the spec are not where the container looks for them.",
        "Download them (ngc registry model download-version nvidia/tao/pretrained_detectnet_v2:resnet18 "
        "--dest <dir>) and set model_config.pretrained_model_file to the container path of that file.",
        standalone=True,
    ),
    ErrorRule(
        "M1",
        ("Mount point source path doesn't exist",),
        "A folder listed in ~/.tao_mounts.json does not exist on this machine.",
        "Create the folder or fix the Mounts[].source path in ~/.tao_mounts.json.",
        standalone=True,
    ),
    ErrorRule(
        "H3",
        ("permission denied while trying to connect to the Docker daemon",),
        "This user may not use Docker.",
        "Run `sudo usermod -aG docker $USER`, then log out and back in.",
    ),
    ErrorRule(
        "S3",
        ("should have only 15 fields",),
        "A KITTI label file has a line without exactly 15 fields.",
        "Each label line must be: type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y. "
        "Remove score columns, avoid spaces in class names, use spaces not commas.",
        standalone=True,
    ),
    ErrorRule(
        "H1",
        ("could not select device driver",),
        "Docker cannot give containers the GPU (NVIDIA Container Toolkit missing or not configured).",
        "Install the NVIDIA Container Toolkit, run `sudo nvidia-ctk runtime configure --runtime=docker`, "
        "then `sudo systemctl restart docker`.",
        standalone=True,
    ),
    ErrorRule(
        "S8",
        ("Validation period is not 0, but no validation data found",),
        "Validation is switched on but no validation data was found.",
        "Set validation_fold to the fold dataset_convert wrote (0 for a random split), point "
        "validation_data_source at existing tfrecords, or set validation_period_during_training to 0.",
        standalone=True,
    ),
    ErrorRule(
        "S9",
        ("Number of logging points",),
        "There are fewer training steps per epoch than the visualizer's logging points.",
        "Lower training_config.visualizer.scalar_logging_frequency (or use a smaller batch / more images).",
        standalone=True,
    ),
    ErrorRule(
        "S10",
        ("Infrequent logging frequency",),
        "num_epochs is smaller than the visualizer's infrequent_logging_frequency.",
        "Raise num_epochs or lower training_config.visualizer.infrequent_logging_frequency.",
    ),
    ErrorRule(
        "S11",
        ("Checkpoint interval", "Validation interval"),
        "The checkpoint or validation interval is larger than the number of epochs.",
        "Set checkpoint_interval and validation_interval to at most num_epochs.",
        _rx(r"(?:Checkpoint|Validation) interval.*(?:>|greater).*epochs"),
    ),
    ErrorRule(
        "P6",
        ("number of GPU indices", "At least 1 GPU required"),
        "The number of GPUs and the list of GPU indices disagree.",
        "Give as many GPU indices as GPUs (e.g. --gpus 2 --gpu_index 0 1), each below the GPU count.",
    ),
    ErrorRule(
        "S2",
        ("Mismatch in the number of predicted",),
        "The target classes differ between spec blocks.",
        "Use the same class names in target_class_mapping values, postprocessing_config, "
        "cost_function_config, bbox_rasterizer_config and evaluation_config.",
    ),
    ErrorRule(
        "S12",
        ("Spec file validation failed",),
        "A value in the spec file is out of its allowed range.",
        "Read the line after this one for the field; fix it in the spec (tao-tui spec check).",
    ),
    ErrorRule(
        "S13",
        ("ParseError",),
        "The spec file has a syntax error.",
        "Fix the line:column named in the message (missing brace, quotes, ':' in protobuf text).",
    ),
    ErrorRule(
        "P12",
        ("You need to set at least one of following fields: results_dir",),
        "No results folder was given.",
        "Pass results_dir=<folder> (tao-tui does this for you when it runs the stage).",
    ),
    ErrorRule(
        "P13",
        ("Resume checkpoint has an invalid file format",),
        "resume_training_checkpoint_path is not a .pth/.tlt file.",
        "Point it at an existing .pth or .tlt checkpoint, or leave it empty to start fresh.",
    ),
    ErrorRule(
        "M4",
        ("Permission denied", "PermissionError"),
        "TAO may not write (or read) a file: usually leftovers owned by root from an earlier run.",
        'Run `sudo chown -R $(id -u):$(id -g) <results folder>` and set "user": "UID:GID" in '
        "DockerOptions of ~/.tao_mounts.json.",
        standalone=True,
        anchor="denied",
    ),
    ErrorRule(
        "H6",
        ("No space left on device", "no space left on device"),
        "The disk is full.",
        "Free space on the results/Docker disk (old checkpoints, `docker image prune`), then run again.",
        standalone=True,
    ),
    ErrorRule(
        "H4",
        ("docker login", "logged in to a registry"),
        "Docker is not logged in to nvcr.io.",
        "Run `docker login nvcr.io` with user name $oauthtoken and your NGC API key as password.",
    ),
    ErrorRule(
        "H5",
        ("401 Client Error", "unauthorized: authentication required"),
        "NGC refused the login (401).",
        "Create a new NGC API key and run `docker login nvcr.io -u '$oauthtoken'` again.",
    ),
    ErrorRule(
        "M5",
        ("FileNotFoundError", "No such file or directory", "Specfile not found", "file not found"),
        "A file TAO needs is missing inside the container.",
        "Check that the path is a container path under a mounted folder (~/.tao_mounts.json) and that the file exists.",
    ),
    ErrorRule(
        "S2",
        ("AssertionError",),
        "An internal check failed without a message (bare AssertionError). In detectnet_v2 this almost "
        "always means the class lists are out of sync between spec blocks.",
        "Make the target classes (the values of target_class_mapping) match by name in "
        "postprocessing_config.target_class_config, cost_function_config.target_classes, "
        "bbox_rasterizer_config.target_class_config, evaluation_config (minimum_detection_ground_truth_overlap "
        "and evaluation_box_config) and training_config.visualizer.target_class_config.",
        _rx(r"^\s*AssertionError\s*:?\s*$"),
    ),
    ErrorRule(
        "D0",
        ("Error response from daemon",),
        "Docker refused to start the container.",
        "Read Docker's reason in the message; `docker info` and `tao-tui doctor` check the usual causes.",
    ),
    ErrorRule(
        "INT",
        ("KeyboardInterrupt", "Training was interrupted"),
        "The run was interrupted.",
        "Start the stage again; training resumes from the last checkpoint in the same results folder.",
    ),
]

_GENERIC_FIX = (
    "Read the last lines of the run log above the error; if it names a spec field or a path, "
    "fix it in the spec or in ~/.tao_mounts.json and run the stage again."
)


def match_error(text: str, final: str | None = None) -> ErrorRule | None:
    """The first rule whose gate and pattern match ``final`` (a traceback's last line), else ``text``."""
    for candidate in (final, text):
        if not candidate:
            continue
        for rule in ERROR_RULES:
            for needle in rule.gate:
                if needle in candidate:
                    if rule.pattern is None or rule.pattern.search(candidate):
                        return rule
                    break
    return None


# --------------------------------------------------------------------------------------------
# the line gate


# Substrings that every interesting console line contains at least one of. Each costs ~40-60 ns
# on a typical 130-character line, so the list stays short: an anchor may be a fragment shared
# by several triggers. Lines that pass go through the (much slower) full dispatch.
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
    "] - ",  # Keras progress bar "12/100 [===>....] - ETA: 1:02 - loss: 0.4"
)
# Only looked for on short lines (metric prints are short; long chatter skips these checks).
_SHORT_ANCHORS = ("ccuracy", "ecall", "mean", "mAP", "FPS", "Class map", "Num images", "Start")
_SHORT_LINE = 140


def _build_gate():
    anchors = list(_BASE_ANCHORS)
    anchors.extend(rule.anchor for rule in ERROR_RULES if rule.anchor)

    def minimal(items: list[str]) -> list[str]:
        # drop anchors that contain another anchor (the shorter one already catches them)
        items = list(dict.fromkeys(items))
        return [a for a in items if not any(b != a and b in a for b in anchors + items)]

    anchors = minimal(anchors)
    short = [a for a in minimal(list(_SHORT_ANCHORS)) if not any(b in a for b in anchors)]

    def test(a: str) -> str:
        # punctuation is rare in chatter: a one-character test (a memchr) rules most lines out
        # before the slower substring search
        mark = next((c for c in a if not c.isalnum() and c != " "), "")
        return f"({mark!r} in s and {a!r} in s)" if mark else f"{a!r} in s"

    src = "lambda s: " + " or ".join(test(a) for a in anchors)
    src += f" or (len(s) < {_SHORT_LINE} and (" + " or ".join(f"{a!r} in s" for a in short) + "))"
    return eval(src), tuple(anchors) + tuple(short)  # noqa: S307 - built from our own constants


_gate, GATE_ANCHORS = _build_gate()
# a line may hold an error worth matching against the whole table
_maybe_error = eval(  # noqa: S307 - built from our own constants
    "lambda s: 'rror' in s or "
    + " or ".join(
        f"{g!r} in s"
        for g in dict.fromkeys(g for r in ERROR_RULES if r.standalone for g in r.gate)
        if "rror" not in g  # already caught by 'rror'
    )
)


# --------------------------------------------------------------------------------------------
# regexes (only run after the gate)

_ENGINE_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)? ")
_LEVELS = r"(?:INFO|WARNING|WARN|ERROR|DEBUG|CRITICAL|FATAL)"
_TS = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?"
_PREFIX = re.compile(
    rf"""(?:
      {_TS}\s+(?:\[TAO\ Toolkit\]\s+)?\[{_LEVELS}\]\s+\S+(?:\s+\d+)?:\ ?      # 5.x / 3.x launcher, TF1 train
    | {_TS}\s+-\s+\S+\s+-\s+{_LEVELS}\s+-\ ?                               # 3.x: asctime - name - LEVEL - msg
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

_TF1_EPOCH = re.compile(
    rf"Epoch (\d+)/(\d+): loss: ({_NUM}|nan|inf) learning rate: (\S+) Time taken: (.*?) ETA: (.*?)\s*$"
)
_EPOCH_HEADER = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_TF_STEP = re.compile(
    rf"epoch = ({_NUM}), learning_rate = ({_NUM}|nan), loss = ({_NUM}|nan|inf), step = (\d+)"
)
_TF_PAIR = re.compile(rf"\b(\w+) = ({_NUM}|nan|inf)")
_BAR = re.compile(
    r"Epoch (\d+):\s*(\d+)%\|[^|]*\|\s*(\d+)/(\d+)\s*\[([\d:]+)<([\d:]+|\?),\s*([\d.]+|\?)\s*(it/s|s/it)([^\]]*)(\]?)"
)
_POSTFIX_LOSS = re.compile(r"[ ,](?:train_)?loss(?:_step)?=([^,]+),")
_POSTFIX_LR = re.compile(r"[ ,](?:lr(?:-\w+)?|learning_rate)=([^,]+),")
_GLUED = re.compile(r"(?<=[\w.])(?=[A-Z][a-z]+(?:\s|$))")
_TQDM_END = re.compile(r"(?:it/s|s/it|it)(?:, [^\]]*)?\]")
_KERAS_BAR = re.compile(r"^\s*(\d+)/(\d+) \[[=>.]*\] - (?:ETA: (\S+)|(\d+)s)(.*)$")
_KERAS_PAIR = re.compile(rf" - (\w+): ({_NUM}|nan)")
_MAX_EPOCHS = re.compile(r"max_epochs=(\d+)`? reached")
_SAMPLES = re.compile(rf"Samples / sec: ({_NUM})")
_POSTFIX_VAL = re.compile(rf"\b(val_\w+)=({_NUM}|nan)")
_AP_ROW = re.compile(rf"(\S+)\s+AP\s+({_NUM})$")
_MAP_ROW = re.compile(rf"mAP\s+({_NUM})$")
_VAL_COST = re.compile(rf"Validation cost: ({_NUM}|nan)")
_MEAN_AP = re.compile(rf"Mean average_precision \(in %\): ({_NUM}|nan)")
_PRUNE_RATIO = re.compile(r"Pruning ratio \(pruned model / original model\): (\S+)")
_PARTITION = re.compile(r"Writing partition (\d+), shard (\d+)")
_NUM_IMAGES = re.compile(r"Train:\s*(\d+)\s+Val:\s*(\d+)")
_CLASS_PAIR = re.compile(r"""^\s*(b?'[^']*'|b?"[^"]*"|[^:\s][^:]*?)\s*:\s*(b?'[^']*'|b?"[^"]*"|\S.*?)\s*$""")
_COUNT_PAIR = re.compile(r"""^\s*(b?'[^']*'|b?"[^"]*"|[^:\s][^:]*?)\s*:\s*(\d+)\s*$""")
_METRIC_PAIR = re.compile(rf"(?<![\w@./-])([A-Za-z][\w@./-]*)\s*[:=]\s*({_NUM})(?=\s|,|;|%|$)")
_BLOCK_PAIR = re.compile(rf"^\s*([A-Za-z][\w@./ -]*?)\s*:\s*({_NUM})\s*$")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
_TF_STEP_SEARCH = _TF_STEP.search
_TQDM_END_SEARCH = _TQDM_END.search
_SAMPLES_SEARCH = _SAMPLES.search

_METRIC_WORDS = frozenset(
    "acc accuracy precision recall hmean f1 fscore f1score map map50 map75 miou iou fps ap ap50 ap75 "
    "top1 top5 auc wer cer psnr ssim mae mse rmse".split()
)

_STAGE_DONE = (
    "finished successfully",
    "Training loop complete",
    "training job complete",
    "job complete.",
    "Tfrecords generation complete",
    "Model exported to",
    "Exported model to",
    "Successfully exported",
    "Export finished",
    "Export complete",
)


def _any_in(phrases) -> object:
    """A function: does the text contain one of ``phrases`` (compiled to an ``or`` chain)."""
    return eval("lambda s: " + " or ".join(f"{p!r} in s" for p in phrases))  # noqa: S307 - our constants


# every _STAGE_DONE phrase contains one of these anchors: only the phrases of the anchors present
# in a line need looking for
_done_omplete, _done_ucces, _done_xport = (
    _any_in([p for p in _STAGE_DONE if anchor in p]) for anchor in ("omplete", "ucces", "xport")
)
assert all(any(a in p for a in ("omplete", "ucces", "xport")) for p in _STAGE_DONE)

_STATUS_INFO = (
    "Starting Training Loop",
    "Training loop in progress",
    "metrics generated",
    "Model saved.",
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


# --------------------------------------------------------------------------------------------
# the parser


class ProgressParser:
    """Stateful: one per run. Feed console lines with :meth:`feed_line` and/or status.json lines
    with :meth:`feed_status_line`; call :meth:`flush` at the end of input."""

    def __init__(self) -> None:
        self._mode: str | None = None  # block being collected: val, tb, classmap, objects, ...
        self._mode_lines = 0
        # validation block
        self._val_epoch: tuple[int, int] | None = None
        self._val_cost: float | None = None
        self._val_map: float | None = None
        self._val_ap: dict[str, float] = {}
        self._val_table = 0  # 0 = no header yet, 1 = grid/plain header seen, 2 = rows seen
        self._val_grid = False
        # traceback
        self._tb: list[str] = []
        # dataset_convert blocks
        self._pairs: dict[str, str] = {}
        # keras: "Epoch 3/80" header waiting to see what follows
        self._keras_epoch: tuple[int, int] | None = None
        self._pending_header: tuple[int, int] | None = None
        # de-duplication
        self._last_step: tuple | None = None
        self._last_tf_line = ""
        self._done = False
        self._errors_seen: set[str] = set()
        self._bar_epoch_done = -1
        self._bar_val: dict[str, float] = {}
        self._max_epoch_hint: int | None = None
        # status.json
        self._status_partial = ""
        self._status_pyt = 0
        self._last_kpi: str | None = None
        self._last_cat: str | None = None

    # ---------------------------------------------------------------- console lines

    def feed_line(self, line: str) -> list[ProgressEvent]:
        """Events completed by one console line (any of them may be empty)."""
        events: list[ProgressEvent] = []
        if self._mode is None:
            if not _gate(line):
                return events
            # fast paths for the line shapes that dominate training output; they read the raw
            # line (engine timestamp, logger prefix and ESC[A remnants do not disturb the regex)
            if "\r" not in line:
                if "=" in line and "step = " in line:  # the one-character test is a memchr
                    # TF prints each step line twice (absl + TAO logger): the copy carries the
                    # same match text at the first "epoch = ", which is where the regex would
                    # match (a longer step number would follow with another digit)
                    last = self._last_tf_line
                    pos = line.find("epoch = ")
                    if (
                        last
                        and pos >= 0
                        and line.startswith(last, pos)
                        and not line[pos + len(last) : pos + len(last) + 1].isdecimal()
                    ):
                        return events
                    m = _TF_STEP_SEARCH(line)
                    if m is not None:
                        self._tf_step(m.group(0), m.groups(), events)
                        return events
                elif "%" in line and "%|" in line:  # the one-character test is a memchr
                    if "Epoch " in line:
                        if self._bar(line, events, 0):
                            return events
                    else:  # Validation/test/predict bars are not training steps
                        m = _TQDM_END_SEARCH(line)
                        if m is not None and not line[m.end() :].replace("\x1b[A", "").strip():
                            return events
                elif "Samples / sec: " in line:
                    m = _SAMPLES_SEARCH(line)
                    if m is not None:
                        self._samples(line, m, events)
                        return events
        self._handle(_clean(line), events, 0)
        return events

    def feed_lines(self, lines: Iterable[str]) -> list[ProgressEvent]:
        """Events completed by a batch of console lines (same as ``feed_line`` on each)."""
        events: list[ProgressEvent] = []
        gate = _gate
        feed = self.feed_line
        extend = events.extend
        for line in lines:
            if self._mode is None and not gate(line):
                continue
            extend(feed(line))
        return events

    def flush(self) -> list[ProgressEvent]:
        """End of input: emit what an open block (AP table, traceback, class map) holds."""
        events: list[ProgressEvent] = []
        self._end_mode(events)
        return events

    # one cleaned line; may recurse once per glued segment
    def _handle(self, line: str, events: list[ProgressEvent], depth: int) -> None:
        if depth > 8:
            return
        if line[10:11] == "T" and line[4:5] == "-":  # engine timestamp "2026-11-28T02:12:15.83Z "
            sp = line.find(" ", 19, 45)
            if sp > 0 and _ENGINE_TS.match(line):
                line = line[sp + 1 :]
        had_prefix = False
        first = line[:1]
        if first in _PREFIX_FIRST and (
            first in "0123456789[" or line.startswith(_LEVEL_PREFIXES) or line[1:5].isdigit()
        ):
            m = _PREFIX.match(line)
            if m:
                had_prefix = True
                line = line[m.end() :]

        if self._mode is not None:
            if self._in_mode(line, had_prefix, events):
                return
        if not line.strip():
            if had_prefix:
                self._set_mode("cont")  # multi-line log record: look at the next line
            return

        # -- tqdm bars, possibly with another line glued after the closing bracket
        if ("%" in line and "%|" in line) or ("]" in line and ("it/s]" in line or "s/it]" in line)):
            if self._bar(line, events, depth):
                return
        if ("poch" in line or "step = " in line) and self._epoch_lines(line, events):
            return
        if "] - " in line and self._keras_bar(line, events):
            return
        self._other(line, had_prefix, events)

    # -- tqdm / Lightning --------------------------------------------------------------------
    def _bar(self, line: str, events: list[ProgressEvent], depth: int) -> bool:
        m = _BAR.search(line)
        if m is not None:
            g_epoch, _pct, g_step, g_total, _elapsed, g_eta, rate_text, unit, postfix, closed = m.groups()
            epoch, step, total = int(g_epoch), int(g_step), int(g_total)
            rate = None
            if rate_text != "?":
                value = float(rate_text)
                rate = value if unit == "it/s" else (1.0 / value if value > 0 else None)
            loss = lr = None
            glued = None
            if postfix:
                if not closed:
                    # cut off at the terminal width: the last item is incomplete, and the next
                    # line may be glued to it ("recall=0.3Training loop in progress")
                    cut = postfix.rfind(",")
                    g = _GLUED.search(postfix, cut + 1)
                    if g is not None:
                        glued = postfix[g.start() :]
                    postfix = postfix[: max(cut, 0)] + ","
                else:
                    postfix += ","
                if "loss" in postfix:
                    pm = _POSTFIX_LOSS.search(postfix)
                    if pm is not None:
                        loss = _num(pm.group(1))
                if "lr" in postfix or "learning_rate" in postfix:
                    pm = _POSTFIX_LR.search(postfix)
                    if pm is not None:
                        lr = _num(pm.group(1))
                if "val_" in postfix:  # Lightning logs validation metrics on the bar: new values only
                    val = {k: v for k, t in _POSTFIX_VAL.findall(postfix) if (v := _num(t)) is not None}
                    if val and val != self._bar_val:
                        self._bar_val = val
                        events.append(ProgressEvent("kpi", epoch=epoch, kpi=val, map=_map_from_kpi(val),
                                                    message="validation: " + ", ".join(f"{k} {v:g}" for k, v in val.items())))
            max_epoch = self._max_epoch_hint
            if epoch - 1 > self._bar_epoch_done:
                # a new epoch started: the previous ones are complete
                self._bar_epoch_done = epoch - 1
                events.append(ProgressEvent("epoch", epoch, max_epoch))
            key = (epoch, step, total)
            if key != self._last_step:
                self._last_step = key
                self._done = False
                try:
                    eta = _DURATION_CACHE[g_eta]
                except KeyError:
                    eta = parse_duration(g_eta)
                # positional (kind, epoch, max_epoch, step, max_step, loss, learning_rate, map,
                # eta_s, ap, message, fix, rate): a third of the cost of keyword arguments
                events.append(
                    ProgressEvent(
                        "step", epoch, max_epoch, step, total, loss, lr, None, eta, None, None, None, rate
                    )
                )
            if total and step >= total and epoch > self._bar_epoch_done:
                self._bar_epoch_done = epoch
                events.append(
                    ProgressEvent("epoch", epoch=epoch + 1, max_epoch=self._max_epoch_hint, loss=loss)
                )
            rest = line[m.end() :] if closed else glued
            if rest and len(rest) > 5:
                rest = _clean(rest)
                if rest.strip():
                    self._handle(rest, events, depth + 1)
            return True
        # other tqdm bars (Validation DataLoader, test model, Matching predictions): not training
        # steps, but a line may be glued after them
        m = _TQDM_END.search(line)
        if m is not None and ("%|" in line or "it [" in line):
            rest = line[m.end() :]
            if rest.strip():
                self._handle(rest, events, depth + 1)
            return True
        return False

    # -- TF1 / Keras epoch and step lines -----------------------------------------------------
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
                    events.append(ProgressEvent(
                        "kpi", epoch=epoch + 1 if epoch is not None else None, kpi=metrics,
                        map=_map_from_kpi(metrics),
                        message=", ".join(f"{k} {v:g}" for k, v in metrics.items())))
        return True

    # -- everything else ---------------------------------------------------------------------
    def _other(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> None:
        stripped = line.strip()
        if "Samples / sec" in line:
            m = _SAMPLES.search(line)
            if m:
                self._samples(line, m, events)
                return
        if stripped.startswith("Traceback (most recent call last)"):
            self._tb = [stripped]
            self._set_mode("tb")
            return
        if "Validation cost" in line:
            m = _VAL_COST.search(line)
            if m:
                self._start_val(events)
                self._val_cost = _to_float(m.group(1))
                return
        if "Mean average_precision" in line:
            m = _MEAN_AP.search(line)
            if m:
                if self._mode != "val":
                    self._start_val(events)
                self._val_map = _to_float(m.group(1))
                return
        if "class name" in line and "average precision" in line:
            self._start_val(events, keep=True)
            self._val_table = 1
            return
        if "Pruning ratio" in line:
            m = _PRUNE_RATIO.search(line)
            if m:
                ratio = _to_float(m.group(1))
                if ratio is not None:
                    events.append(
                        ProgressEvent(
                            "kpi", kpi={"pruning_ratio": ratio}, message=f"Pruning ratio: {ratio:.4g}"
                        )
                    )
                else:
                    events.append(ProgressEvent("info", message=_clip(stripped)))
                return
        # dataset_convert
        if "Writing partition" in line:
            m = _PARTITION.search(line)
            if m:
                events.append(ProgressEvent("info", step=int(m.group(2)), message=stripped))
                return
        if stripped.startswith("Num images in"):
            m = _NUM_IMAGES.search(line)
            if m:
                self._num_images(m, events)
            else:
                self._set_mode("numimg")
            return
        if stripped.startswith("Class map"):
            self._pairs = {}
            self._set_mode("classmap")
            return
        if stripped.startswith("Wrote the following numbers of objects"):
            self._pairs = {}
            self._set_mode("objects")
            return
        if "Start logging Evaluation Results" in line:
            self._pairs = {}
            self._set_mode("evalblock")
            return
        if stripped.startswith("Start to calculate AP"):  # TF1 yolo/ssd/retinanet/faster_rcnn table
            self._pairs = {}
            self._set_mode("apblock")
            return
        # stage done
        if (
            ("omplete" in line and _done_omplete(line))
            or ("ucces" in line and _done_ucces(line))
            or ("xport" in line and _done_xport(line))
        ):
            self._stage_done(_clip(stripped), events)
            return
        # errors on ordinary lines (tracebacks are collected as a block, see _in_traceback)
        if _maybe_error(line):
            rule = match_error(line)
            if rule is not None and (rule.standalone or "rror" in line):
                self._emit_error(rule, stripped, events)
                return
        # metrics ("Accuracy: 72.4", "Precision: 0.78 Recall: 0.30 Hmean: 0.44", "FPS:13.0");
        # indented lines are config dumps (YAML), not results
        if line[:1] not in " \t" and (":" in line or "=" in line) and _maybe_metric(line.lower()):
            kpi = {}
            for name, value in _METRIC_PAIR.findall(line):
                if _metric_name_ok(name):
                    number = _to_float(value)
                    if number is not None:
                        kpi[name] = number
            if kpi:
                events.append(ProgressEvent("kpi", kpi=kpi, map=_map_from_kpi(kpi), message=_clip(stripped)))
                return
        for phrase in _STATUS_INFO:
            if phrase in line:
                if phrase == "Starting Training Loop":
                    self._done = False
                events.append(ProgressEvent("info", message=_clip(stripped)))
                return

    # -- blocks --------------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        self._mode_lines = 0

    def _in_mode(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> bool:
        """Handle ``line`` inside the open block; False = the block ended, handle it normally."""
        mode = self._mode
        self._mode_lines += 1
        stripped = line.strip()
        if mode == "cont":
            self._mode = None
            return False
        if mode == "tb":
            return self._in_traceback(line, had_prefix, events)
        if self._mode_lines > 500:
            self._end_mode(events)
            return False
        if mode == "val":
            return self._in_val(line, stripped, events)
        if mode == "apblock":
            # "car   AP    0.70219" per class, then "      mAP   0.61221", between rules of * or =
            if not stripped or not stripped.strip("*=-"):
                return True
            m = _AP_ROW.match(stripped)
            if m:
                self._pairs[m.group(1)] = m.group(2)
                return True
            m = _MAP_ROW.match(stripped)
            if m:
                self._pairs[""] = m.group(1)
                self._end_mode(events)
                return True
            self._end_mode(events)  # not this table (detectnet_v2 prints its own after the same line)
            return False
        if mode == "numimg":
            m = _NUM_IMAGES.search(line)
            self._mode = None
            if m:
                self._num_images(m, events)
                return True
            return False
        if mode in ("classmap", "objects"):
            if not stripped:
                if self._pairs or mode == "objects":
                    self._end_mode(events)
                return True
            if had_prefix:
                self._end_mode(events)
                return False
            if stripped.startswith("Label in GT"):
                return True
            if stripped.startswith("For the dataset_config"):
                self._end_mode(events)
                return True
            m = (_CLASS_PAIR if mode == "classmap" else _COUNT_PAIR).match(stripped)
            if m:
                self._pairs[_unquote(m.group(1))] = _unquote(m.group(2))
                return True
            self._end_mode(events)
            return False
        if mode == "evalblock":
            m = _BLOCK_PAIR.match(stripped)
            if m and not had_prefix:
                self._pairs[m.group(1).strip()] = m.group(2)
                return True
            if not stripped:
                return True
            self._end_mode(events)
            return False
        self._mode = None  # pragma: no cover - unknown mode
        return False

    def _end_mode(self, events: list[ProgressEvent]) -> None:
        mode, self._mode = self._mode, None
        if mode == "val":
            self._emit_val(events)
        elif mode == "tb":
            self._emit_traceback(events)
        elif mode == "classmap" and self._pairs:
            pairs = dict(self._pairs)
            text = ", ".join(f"{k} -> {v}" for k, v in pairs.items())
            events.append(ProgressEvent("info", class_map=pairs, message=_clip(f"Class map: {text}")))
        elif mode == "objects" and self._pairs:
            counts = {k: float(v) for k, v in self._pairs.items()}
            events.append(ProgressEvent("info", kpi=counts, message="Objects written per class"))
        elif mode == "apblock" and self._pairs:
            values = {k: _to_float(v) for k, v in self._pairs.items()}
            mean = values.pop("", None)
            ap = {k: v for k, v in values.items() if v is not None}
            if mean is None and ap:
                mean = sum(ap.values()) / len(ap)
            events.append(ProgressEvent("validation", map=mean, ap=ap or None,
                                        message=f"mAP {mean:g}" if mean is not None else "AP per class"))
        elif mode == "evalblock" and self._pairs:
            kpi = {k: float(v) for k, v in self._pairs.items()}
            epoch = kpi.pop("current_epoch", None)
            lr = kpi.pop("lr", None)
            events.append(
                ProgressEvent(
                    "kpi",
                    epoch=int(epoch) + 1 if epoch is not None else None,
                    learning_rate=lr,
                    kpi=kpi,
                    map=_map_from_kpi(kpi),
                    message="Evaluation results: " + ", ".join(f"{k} {v:g}" for k, v in kpi.items()),
                )
            )
        self._pairs = {}

    def _num_images(self, m: re.Match, events: list[ProgressEvent]) -> None:
        train, val = int(m.group(1)), int(m.group(2))
        events.append(
            ProgressEvent(
                "info",
                kpi={"num_images_train": float(train), "num_images_val": float(val)},
                message=f"Images: {train} train, {val} validation",
            )
        )

    # validation table
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
    def _in_traceback(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> bool:
        tb = self._tb
        if len(tb) > 400:
            tb.pop(1)
        stripped = line.rstrip()
        if not stripped:
            tb.append("")
            return True
        if stripped[0] in " \t" or stripped.startswith(
            ("Traceback (most recent call last)", "During handling")
        ):
            tb.append(stripped)
            return True
        if stripped.startswith("The above exception"):
            tb.append(stripped)
            return True
        m = _EXC_LINE.match(stripped)
        if m and not had_prefix:
            name = m.group(1)
            if "." in name or name.endswith(
                ("Error", "Exception", "Exit", "Interrupt", "Warning", "Failure")
            ):
                tb.append(stripped)
                self._mode = None
                self._emit_traceback(events)
                return True
        self._mode = None
        self._emit_traceback(events)
        return False

    def _emit_traceback(self, events: list[ProgressEvent]) -> None:
        tb, self._tb = self._tb, []
        if not tb:
            return
        final = tb[-1] if len(tb) > 1 else ""
        if final.startswith(("Traceback", " ", "\t")) or not final:
            final = next(
                (t for t in reversed(tb) if t and t[0] not in " \t" and not t.startswith("Traceback")), ""
            )
        rule = match_error("\n".join(tb), final)
        detail = final or "Python traceback"
        self._emit_error(rule, detail, events)

    def _emit_error(self, rule: ErrorRule | None, detail: str, events: list[ProgressEvent]) -> None:
        key = rule.id if rule is not None else detail
        if key in self._errors_seen:
            return
        self._errors_seen.add(key)
        detail = _clip(detail, 300)
        if rule is None:
            events.append(ProgressEvent("error", message=f"The stage failed: {detail}", fix=_GENERIC_FIX))
        else:
            events.append(ProgressEvent("error", message=f"{rule.message} (TAO: {detail})", fix=rule.fix))

    def _stage_done(self, message: str, events: list[ProgressEvent]) -> None:
        if self._mode is not None:
            self._end_mode(events)
        if self._done:
            return
        self._done = True
        events.append(ProgressEvent("stage_done", message=message))

    # ---------------------------------------------------------------- status.json

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
            if self._status_pyt:
                epoch = epoch + 1 if epoch is not None else None
            if self._status_pyt == 2:
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


# --------------------------------------------------------------------------------------------
# files


def _skip_headers(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if line.startswith(("# source:", "# note:")):
            continue
        yield line
        break
    yield from lines


def _looks_like_status(first: str) -> bool:
    text = first.strip()
    if not text.startswith("{"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return text.endswith("}") is False and '"status"' in text
    return isinstance(data, dict) and bool({"status", "date", "verbosity", "epoch"} & data.keys())


def parse_lines(lines: Iterable[str], status: bool | None = None) -> Iterator[ProgressEvent]:
    """Events from console lines (or status.json lines when ``status``; None = detect)."""
    it = _skip_headers(iter(lines))
    first: list[str] = []
    for line in it:
        first.append(line)
        if line.strip():
            break
    if status is None:
        status = bool(first) and _looks_like_status(first[-1])
    parser = ProgressParser()
    feed = parser.feed_status_line if status else parser.feed_line
    for line in first:
        yield from feed(line)
    if status:
        for line in it:
            yield from feed(line)
    else:
        for line in it:
            if parser._mode is None and not _gate(line):
                continue
            yield from feed(line)
    yield from parser.flush()


def parse_file(path: str | Path) -> Iterator[ProgressEvent]:
    """Events from a console log or a status.json file (detected from the name and first line)."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        status = True if path.name == "status.json" else None
        yield from parse_lines(f, status)


# --------------------------------------------------------------------------------------------
# folding events into the current state (for the UI)


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
            best = f" (best {self.best_map:.2f})" if self.best_map is not None and self.best_map != self.map else ""
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


# --------------------------------------------------------------------------------------------
# text


def _fmt_duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{days}d {text}" if days else text


def format_event(ev: ProgressEvent) -> str:
    """One human-readable line (two for errors: the fix goes on its own line)."""
    parts: list[str] = [f"{ev.kind:<10}"]
    if ev.kind == "step":
        if ev.epoch is not None:
            parts.append(f"epoch {ev.epoch}" + (f"/{ev.max_epoch}" if ev.max_epoch else ""))
        if ev.step is not None:
            parts.append(f"step {ev.step}" + (f"/{ev.max_step}" if ev.max_step else ""))
    elif ev.epoch is not None:
        parts.append(f"epoch {ev.epoch}" + (f"/{ev.max_epoch}" if ev.max_epoch else ""))
    if ev.loss is not None:
        parts.append(f"loss {ev.loss:.6g}")
    if ev.learning_rate is not None:
        parts.append(f"lr {ev.learning_rate:.3g}")
    if ev.rate is not None:
        parts.append(f"{ev.rate:.3g} it/s")
    if ev.map is not None:
        parts.append(f"mAP {ev.map:.4g}")
    if ev.ap:
        parts.append("AP " + ", ".join(f"{k} {v:.4g}" for k, v in ev.ap.items()))
    if ev.eta_s is not None:
        parts.append(f"eta {_fmt_duration(ev.eta_s)}")
    if ev.kind in ("kpi", "info") and ev.kpi and not ev.message:
        parts.append(", ".join(f"{k} {v:g}" for k, v in ev.kpi.items()))
    if ev.class_map and not ev.message:
        parts.append(", ".join(f"{k} -> {v}" for k, v in ev.class_map.items()))
    if ev.message and ev.kind not in ("step",):
        parts.append(ev.message)
    text = "  ".join(parts)
    if ev.fix:
        text += f"\n{'':<10}  fix: {ev.fix}"
    return text
