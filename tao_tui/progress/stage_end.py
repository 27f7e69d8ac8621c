"""The lines with which a stage says it has finished (train, evaluate, inference, export, prune,
dataset_convert). A log line only *says* so: a run is finished when its container exits."""

from __future__ import annotations

from tao_tui.progress.gate import _guarded

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
    # evaluate/inference/prune ends: TLT 2 ("__main__: Evaluation complete.") and TAO 3-5 logger
    # forms ("[TAO Toolkit] [INFO] root 2102: Evaluation complete."); PyTorch's "Evaluation / Inference
    # / Export finished successfully." are covered by "finished successfully"
    "Evaluation complete",
)

# TF1's timing decorator prints "Time taken to run __main__:main: 0:01:23.4" when an entrypoint's
# main() returns: the end of any TF1 stage (train, evaluate, inference, export, prune).
_TIME_TAKEN = "Time taken to run"


def _time_taken_end(line: str) -> bool:
    """``line`` (logger prefix removed) is TF1's "Time taken to run <module>:main: <duration>"."""
    return line.startswith(_TIME_TAKEN) and ":main" in line


def _any_in(phrases) -> object:
    """A function: does the text contain one of ``phrases`` (compiled to an ``or`` chain, each
    phrase behind a one-character test, see ``gate._guarded``)."""
    return eval("lambda s: " + _guarded(list(phrases)))  # noqa: S307 - our constants


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

# most lines that reach the end of the dispatch hold none of them: one guarded test, not a loop
_status_info_in = _any_in(_STATUS_INFO)
