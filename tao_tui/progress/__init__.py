"""TAO console output and ``status.json`` lines -> typed :class:`ProgressEvent`, folded by :class:`ProgressState`.

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
* ``validation``: ``map`` and ``ap`` (per class) once the table has ended, as TAO printed them
  (detectnet_v2: percent; the TF1 Keras detectors' AP table: 0..1); ``epoch`` = the epochs done
  at that validation when the log says (``Epoch 40/40`` header, the Keras ``Epoch 70/80``).
* ``kpi``: numbers in ``kpi`` (pruning ratio, accuracy, precision/recall/hmean, ...).
* ``stage_done``: the log says the stage finished (only the container's exit finishes a run:
  ``ProgressState.set_exit``). ``error``: ``message`` in plain words and a ``fix``.
* ``warning``: something that will hurt the results without failing the stage (objects
  dataset_convert dropped), with a ``fix``.
* ``info``: everything else worth showing (dataset_convert shards, class map, throughput, ...).

The hot path is a handful of substring tests: a line that contains none of the anchor words
costs about a microsecond; regexes only run on lines that passed that gate. Events carry the time
of their line (``ProgressEvent.time``) when a file reader stamps them (:func:`stamp`).

Modules, one per log family: ``gate`` (the fast gate and line clean-up), ``tf1`` (Keras/estimator),
``detectnet`` (detectnet_v2 validation tables), ``ap_table`` (TF1 detectors' AP tables),
``lightning`` (tqdm bars), ``status_json``, ``dataset_convert``, ``classification`` (TF1
classification evaluate), ``nemo`` (conversational networks), ``metrics`` (named numbers),
``stage_end`` (the lines that say a stage ended), ``error_rules`` (errors as a data table, a
source per rule); ``parser`` ties them together and ``state`` is the one fold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# name -> the module that defines it. Imported on first use (PEP 562): the wizard's first frame
# needs ProgressState only, not the parser and its compiled patterns (~20 ms).
_WHERE = {
    "ERROR_RULES": "error_rules",
    "ErrorRule": "error_rules",
    "match_error": "error_rules",
    "KINDS": "events",
    "ProgressEvent": "events",
    "format_event": "events",
    "parse_duration": "events",
    "ProgressParser": "parser",
    "parse_file": "parser",
    "parse_lines": "parser",
    "stamp": "parser",
    "ProgressState": "state",
}

if TYPE_CHECKING:
    from tao_tui.progress.error_rules import ERROR_RULES, ErrorRule, match_error
    from tao_tui.progress.events import KINDS, ProgressEvent, format_event, parse_duration
    from tao_tui.progress.parser import ProgressParser, parse_file, parse_lines, stamp
    from tao_tui.progress.state import ProgressState


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tao_tui.progress' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"tao_tui.progress.{module}"), name)
    globals()[name] = value  # the next look-up is a plain global
    return value

__all__ = [
    "ERROR_RULES",
    "KINDS",
    "ErrorRule",
    "ProgressEvent",
    "ProgressParser",
    "ProgressState",
    "format_event",
    "match_error",
    "parse_duration",
    "parse_file",
    "parse_lines",
    "stamp",
]
