"""The progress line the wizard shows, folded from real parser events."""

from __future__ import annotations

from pathlib import Path

from tao_tui.progress import ProgressParser, ProgressState, parse_file
from tao_tui.ui.widgets.progress_panel import summary

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def test_summary_of_a_detectnet_v2_training_log():
    state = ProgressState().apply_all(parse_file(LOGS / "detectnet_v2_train_end.log"))
    text = summary(state)
    assert "mAP 40.38" in text and "finished" not in text  # the log's end is not the container's exit
    assert "finished" in summary(state, "done")  # the runner recorded the exit


def test_summary_of_an_error():
    parser = ProgressParser()
    events = parser.feed_line("Ran out of GPU memory, please lower the batch size, use a smaller input resolution.")
    events += parser.flush()
    text = summary(ProgressState().apply_all(events))
    assert "[b red]" in text


def test_nothing_yet():
    assert summary(ProgressState()) == "no progress yet"
