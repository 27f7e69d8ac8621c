"""The lines with which a stage says it has finished (train, evaluate, inference, export, prune,
dataset_convert). A log line only *says* so: a run is finished when its container exits."""

from __future__ import annotations

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
