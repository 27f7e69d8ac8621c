"""Progress, one truth (issue 12 item 3): ``tao-tui status`` (events.jsonl folded by
``commands.status.progress_of``), ``tao-tui progress --summary`` and the wizard's progress panel all
fold the same events through ``ProgressState`` and give the same epoch/step/loss/mAP for every
recorded log; ETA and "finished" follow one rule."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tao_tui.cli import main as cli_main
from tao_tui.commands.status import progress_of
from tao_tui.progress import ProgressEvent, ProgressParser, ProgressState, parse_file, parse_lines

ROOT = Path(__file__).resolve().parents[1]
LOGS = sorted((ROOT / "fixtures" / "logs").glob("*.log"))
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "logs"  # ../shared beside the repo
LOGS += sorted(p for p in REFERENCE.glob("*.log") if p.is_file()) if REFERENCE.is_dir() else []


def runner_events(path: Path) -> list[ProgressEvent]:
    """As ``StageRunner.attach`` does it: run-log lines (engine timestamp in front) in batches
    through ``feed_lines``, then ``flush``."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    lines = [f"2026-11-29T10:{i // 60 % 60:02d}:{i % 60:02d}.5Z {line}" for i, line in enumerate(lines)]
    parser = ProgressParser()
    events: list[ProgressEvent] = []
    for i in range(0, len(lines), 7):
        events += parser.feed_lines(lines[i : i + 7])
    return events + parser.flush()


def without_eta(summary: str) -> str:
    return summary.split("  ETA ")[0]


@pytest.mark.parametrize("path", LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_status_progress_summary_and_panel_agree(path, tmp_path, capsys):
    truth = ProgressState().apply_all(parse_file(path)).summary()

    # tao-tui progress --summary
    assert cli_main(["progress", str(path), "--summary"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("summary   " + truth), (last, truth)

    # tao-tui status: the runner's events.jsonl, read back
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    events = runner_events(path)
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))
    project = SimpleNamespace(run_dir=lambda run_id: tmp_path / "runs" / run_id)
    status_line = progress_of(project, "r1") or ""
    assert without_eta(status_line) == without_eta(truth), (status_line, truth)

    # the finished run: same numbers, no ETA, no stale step
    finished = progress_of(project, "r1", exit_code=0) or ""
    assert "ETA" not in finished and "step" not in finished
    assert "ETA 0:00:00" not in truth and "ETA 0:00:00" not in status_line


@pytest.mark.parametrize("path", LOGS[:3], ids=lambda p: p.name)
def test_panel_shows_the_same_line(path):
    panel = pytest.importorskip("tao_tui.ui.widgets.progress_panel")
    state = ProgressState().apply_all(parse_file(path))
    assert state.summary() in panel.summary(state)


def feed(lines: list[str]) -> list[ProgressEvent]:
    """As ``tao-tui progress`` reads a file: events stamped with their line's time."""
    return list(parse_lines([line + "\n" for line in lines]))


def test_finished_detectnet_run_reads_its_last_epoch_not_a_stale_step():
    # TF logs a step line now and then; the last one read "epoch 0 step 151/2466" in status
    lines = [
        "2024-01-31 11:05:27,929 [TAO Toolkit] [INFO] nvidia_tao_tf1.cv.detectnet_v2.tfhooks.task_progress_monitor_hook 149: "
        "Epoch 0/3: loss: 0.06473 learning rate: 1.25e-05 Time taken: 0:00:00 ETA: 0:00:00",
        "INFO:tensorflow:epoch = 0.0612, learning_rate = 1.27e-05, loss = 0.0449, step = 151 (5.258 sec)",
        "Epoch 3/3",
        "=========================",
        "Validation cost: 0.000439",
        "Mean average_precision (in %): 12.3456",
        "class name      average precision (in %)",
        "------------  --------------------------",
        "person                        12.3456",
        "",
        "2024-01-31 12:00:00,000 [TAO Toolkit] [INFO] root 2102: Training loop completed.",
    ]
    state = ProgressState().apply_all(feed(lines))
    assert state.summary() == "epoch 3/3  loss 0.0449  mAP 12.35"
    assert state.fraction == 1.0 and state.eta_s is None


def test_eta_from_tao_but_not_its_zero_before_the_first_epoch():
    first = "Epoch 0/10: loss: 0.5 learning rate: 1e-05 Time taken: 0:00:00 ETA: 0:00:00"
    state = ProgressState().apply_all(feed([first]))
    assert state.eta_s is None and "ETA" not in state.summary()
    later = "Epoch 2/10: loss: 0.4 learning rate: 1e-05 Time taken: 0:01:00 ETA: 0:08:00"
    state.apply_all(feed([later]))
    assert state.eta_s == 480 and state.summary().endswith("ETA 0:08:00")


def test_eta_from_tao_counts_down_with_the_time_of_later_lines():
    lines = [
        "2026-11-29T10:00:00.0Z 2026-11-29 10:00:00,000 [TAO Toolkit] [INFO] hook 149: Epoch 1/4: loss: 0.4 learning rate: 1e-05 Time taken: 0:10:00 ETA: 0:30:00",
        "2026-11-29T10:05:00.0Z INFO:tensorflow:epoch = 1.5, learning_rate = 1e-05, loss = 0.3, step = 150 (1.0 sec)",
    ]
    assert ProgressState().apply_all(feed(lines)).eta_s == 25 * 60


def test_eta_from_the_bar_rate_when_tao_prints_no_whole_run_eta():
    state = ProgressState()
    state.apply(ProgressEvent("epoch", epoch=0, max_epoch=4))  # status.json: 4 epochs
    state.apply_all(feed(["Epoch 0:  50%|#####     | 50/100 [00:25<00:25,  2.00it/s, loss=0.9, v_num=0]"]))
    # 50 steps left in this epoch + 3 epochs of 100 steps, at 2 steps a second
    assert state.eta_s == 175.0 and state.summary() == "epoch 1/4  step 50/100  loss 0.9  ETA 0:02:55"


def test_eta_from_the_measured_pace_of_timestamped_lines():
    lines = [
        "2026-11-29T10:00:00.1Z Epoch 0/4: loss: 0.5 learning rate: 1e-05 Time taken: 0:00:00 ETA: 0:00:00",
        "2026-11-29T10:00:00.2Z INFO:tensorflow:epoch = 0.5, learning_rate = 1e-05, loss = 0.4, step = 50 (1.0 sec)",
        "2026-11-29T10:01:40.2Z INFO:tensorflow:epoch = 1.0, learning_rate = 1e-05, loss = 0.3, step = 100 (1.0 sec)",
    ]
    state = ProgressState().apply_all(feed(lines))
    # from 0 at 10:00:00 to 1/4 of the run at 10:01:40 (epoch 1, step 0 of 100); 3/4 left
    assert state.eta_s == pytest.approx(300.0)


def test_live_clock_gives_a_pace_to_events_without_time():
    now = [1000.0]
    state = ProgressState(clock=lambda: now[0])
    state.apply(ProgressEvent("step", epoch=0, max_epoch=2, step=10, max_step=100))
    now[0] = 1090.0
    state.apply(ProgressEvent("step", epoch=0, max_epoch=2, step=100, max_step=100))
    assert state.eta_s == pytest.approx(100.0)


def test_finished_comes_only_from_the_exit():
    state = ProgressState().apply_all(feed(["Export finished successfully."]))
    assert state.done and not state.finished and state.fraction is None
    state.set_exit(2)
    assert state.finished and state.outcome() == "failed (exit 2)" and state.fraction is None
    state.set_exit(0)
    assert state.outcome() == "finished" and state.fraction == 1.0
    state.set_exit(130, stopped=True)
    assert state.outcome() == "stopped"


def status_lines(*records: dict) -> list[str]:
    return [json.dumps(r) + "\n" for r in records]


@pytest.mark.parametrize(
    ("epoch_base", "records", "expected"),
    [
        # PyTorch 5.0-5.5: the counter is incremented before the write (backend-truth X8)
        (1, [{"epoch": 1, "max_epoch": 10, "message": "Training loop in progress"}], (1, 10)),
        (1, [{"epoch": 10, "max_epoch": 10, "message": "Training loop in progress"}], (10, 10)),
        # 6.x: 0-based epoch, max_epoch = max_epochs - 1, step present
        (None, [{"epoch": 0, "max_epoch": 9, "step": 5, "max_step": 50}], (1, 10)),
        (0, [{"epoch": 0, "max_epoch": 9, "step": 5, "max_step": 50}], (1, 10)),
        # detect: "Training loop in progress" = PyTorch 0-based
        (None, [{"epoch": 0, "max_epoch": 10, "message": "Training loop in progress"}], (1, 10)),
        # TF1: epochs done as written
        (None, [{"epoch": 3, "max_epoch": 10, "eta": "0:30:00"}], (3, 10)),
    ],
)
def test_status_json_epoch_base(epoch_base, records, expected):
    parser = ProgressParser(epoch_base=epoch_base)
    events = [e for line in status_lines(*records) for e in parser.feed_status_line(line)]
    state = ProgressState().apply_all(events)
    assert (state.epochs_done, state.max_epoch) == expected


def test_epoch_base_is_checked():
    with pytest.raises(ValueError, match="epoch_base"):
        ProgressParser(epoch_base=2)


def test_eta_from_keras_time_per_step():
    lines = ["Epoch 3/10", "100/100 [==============================] - 30s 300ms/step - loss: 1.0"]
    state = ProgressState().apply_all(feed(lines))
    # 7 epochs of 100 steps left at 0.3 s a step
    assert state.eta_s == pytest.approx(210.0) and state.summary() == "epoch 3/10  loss 1  ETA 0:03:30"
