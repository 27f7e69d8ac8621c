"""RunTail: the wizard reads a run as its follower process writes it (run log, events.jsonl,
result.json), a bounded amount per poll; open_runs; the follower's last error."""

from __future__ import annotations

import json
import os

from tao_tui.progress import ProgressEvent
from tao_tui.runtime.follower import last_error
from tao_tui.runtime.tail import RunTail, open_runs, tail_lines

TS = "2026-11-30T01:02:03.000000001Z "


def _log(run_dir, *lines: str, end: str = "\n") -> None:
    with open(run_dir / "log", "a", encoding="utf-8") as fh:
        fh.write("".join(TS + x + end for x in lines))


def _events(run_dir, *events: ProgressEvent) -> None:
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(e.to_dict()) + "\n" for e in events))


def test_first_poll_is_the_history_then_only_new_complete_lines(tmp_path):
    _log(tmp_path, *(f"line {i}" for i in range(10)))
    with open(tmp_path / "log", "a") as fh:
        fh.write(TS + "half a li")  # still being written
    _events(tmp_path, ProgressEvent("epoch", epoch=1, max_epoch=3))
    tail = RunTail(tmp_path, keep=4)
    first = tail.poll()
    assert first.first and first.lines == ["line 6", "line 7", "line 8", "line 9"]
    assert [e.epoch for e in first.events] == [1] and first.result is None
    again = tail.poll()
    assert not again.first and again.lines == [] and again.events == []
    with open(tmp_path / "log", "a") as fh:
        fh.write("ne\n")
    _log(tmp_path, "next")
    _events(tmp_path, ProgressEvent("epoch", epoch=2, max_epoch=3))
    batch = tail.poll()
    assert batch.lines == ["half a line", "next"]  # the cut line whole, once
    assert [e.epoch for e in batch.events] == [2] and not batch.events_reset


def test_a_burst_decodes_only_the_last_keep_lines_and_counts_the_rest(tmp_path):
    _log(tmp_path, "start")
    tail = RunTail(tmp_path, keep=100)
    tail.poll()
    _log(tmp_path, *(f"l{i}" for i in range(25_000)))
    batch = tail.poll()
    assert batch.skipped == 24_900 and len(batch.lines) == 100
    assert batch.lines[0] == "l24900" and batch.lines[-1] == "l24999"


def test_invalid_utf8_and_carriage_returns_stay_inside_their_line(tmp_path):
    tail = RunTail(tmp_path)
    tail.poll()
    with open(tmp_path / "log", "ab") as fh:
        fh.write(TS.encode() + b"bar 10%\r bar 20%\xff\n" + TS.encode() + b"after\n")
    assert tail.poll().lines == ["bar 10%\r bar 20%\ufffd", "after"]


def test_events_rewritten_by_a_new_follower_start_the_fold_over(tmp_path):
    _events(tmp_path, ProgressEvent("epoch", epoch=1, max_epoch=3))
    tail = RunTail(tmp_path)
    tail.poll()
    # a re-attached follower re-parses the whole log and replaces events.jsonl atomically
    new = tmp_path / "events.jsonl.tmp"
    new.write_text("".join(json.dumps(ProgressEvent("epoch", epoch=e, max_epoch=3).to_dict()) + "\n"
                           for e in (1, 2)))
    os.replace(new, tmp_path / "events.jsonl")
    batch = tail.poll()
    assert batch.events_reset and [e.epoch for e in batch.events] == [1, 2]


def test_a_line_cut_by_a_crash_is_skipped(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"kind": "epoch", "epo\n' + json.dumps({"kind": "epoch", "epoch": 3}) + "\n")
    assert [e.epoch for e in RunTail(tmp_path).poll().events] == [3]


def test_the_result_ends_the_tail_after_everything_before_it(tmp_path):
    tail = RunTail(tmp_path)
    tail.poll()
    _log(tmp_path, "last line")
    (tmp_path / "result.json").write_text(json.dumps({"status": "failed", "exit_code": 1}))
    batch = tail.poll()
    assert batch.result == "failed" and tail.ended and batch.lines == ["last line"]


def test_missing_files_are_empty_not_errors(tmp_path):
    batch = RunTail(tmp_path / "nothing-here").poll()
    assert batch.lines == [] and batch.events == [] and batch.result is None


def test_tail_lines_upto_leaves_the_line_being_written(tmp_path):
    _log(tmp_path, "a", "b")
    with open(tmp_path / "log", "a") as fh:
        fh.write(TS + "c-partial")
    size = (tmp_path / "log").stat().st_size
    assert tail_lines(tmp_path / "log", 10, upto=size) == ["a", "b"]
    assert tail_lines(tmp_path / "log", 10)[-1] == "c-partial"


def test_open_runs_lists_recorded_runs_without_a_result(tmp_path):
    for name, files in {"train-1": ["run.json"], "train-2": ["run.json", "result.json"], "export-3": []}.items():
        (tmp_path / name).mkdir()
        for f in files:
            (tmp_path / name / f).write_text("{}")
    assert open_runs(tmp_path) == ["train-1"]
    assert open_runs(tmp_path / "missing") == []


def test_the_followers_last_error_line(tmp_path):
    assert last_error(tmp_path) is None
    (tmp_path / "follower.log").write_text("error: first\nsome noise\nerror: lost the engine; fix: start it\n")
    assert last_error(tmp_path) == "lost the engine; fix: start it"


def test_the_events_the_wizard_skips_never_change_the_fold():
    """Over every recorded log: the fold of the decoded events (info without numbers dropped,
    step events thinned to a few per read) ends where the fold of all events ends."""
    from pathlib import Path

    from tao_tui.progress import ProgressState, parse_file
    from tao_tui.runtime.tail import _shown

    logs = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "logs").glob("*.log"))
    assert logs
    for log in logs:
        events = list(parse_file(log))
        raws = [json.dumps(e.to_dict()).encode() for e in events]
        for max_steps in (1, 3, 50):
            kept = [ProgressEvent.from_dict(json.loads(r)) for r in _shown(raws, max_steps)]
            full, thin = ProgressState().apply_all(events), ProgressState().apply_all(kept)
            assert thin.summary() == full.summary(), (log.name, max_steps)
            assert (thin.epoch, thin.step, thin.map, thin.ap, thin.error) == (full.epoch, full.step, full.map,
                                                                             full.ap, full.error), log.name
