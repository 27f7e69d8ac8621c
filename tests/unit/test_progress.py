"""tao_tui.progress: real TAO console output (tests/fixtures/logs), synthetic status.json lines built
from the formats in reference/tao-pitfalls.md §4, error matchers, and robustness (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tao_tui.cli import main as cli_main
from tao_tui.progress import (
    ERROR_RULES,
    ProgressEvent,
    ProgressParser,
    ProgressState,
    format_event,
    match_error,
    parse_duration,
    parse_file,
    parse_lines,
)

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
ALL_LOGS = sorted(LOGS.glob("*.log"))


def events_of(name: str) -> list[ProgressEvent]:
    return list(parse_file(LOGS / name))


def kinds(events: list[ProgressEvent], kind: str) -> list[ProgressEvent]:
    return [e for e in events if e.kind == kind]


def feed(lines: list[str]) -> list[ProgressEvent]:
    parser = ProgressParser()
    out: list[ProgressEvent] = []
    for line in lines:
        out.extend(parser.feed_line(line))
    out.extend(parser.flush())
    return out


def feed_status(lines: list[str]) -> list[ProgressEvent]:
    parser = ProgressParser()
    out: list[ProgressEvent] = []
    for line in lines:
        out.extend(parser.feed_status_line(line))
    return out


# ------------------------------------------------------------------------------------------
# every fixture


def test_fixture_set_is_complete():
    assert len(ALL_LOGS) == 20


@pytest.mark.parametrize("path", ALL_LOGS, ids=lambda p: p.name)
def test_no_fixture_reports_an_error_or_bad_values(path):
    events = list(parse_file(path))
    assert kinds(events, "error") == []  # none of these runs failed
    for e in events:
        assert e.kind in ("epoch", "step", "validation", "kpi", "stage_done", "error", "info")
        d = e.to_dict()
        assert d["kind"] == e.kind and None not in d.values()
        json.dumps(d)  # JSON-ready
        if e.kind == "step" and e.max_step:
            assert 0 <= e.step <= e.max_step
    assert len(kinds(events, "stage_done")) <= 1


# ------------------------------------------------------------------------------------------
# TF1 detectnet_v2


def test_detectnet_train_progress_epoch_line():
    events = events_of("detectnet_v2_train_progress.log")
    (epoch,) = kinds(events, "epoch")
    assert (epoch.epoch, epoch.max_epoch) == (0, 80)
    assert epoch.loss == pytest.approx(0.06473)
    assert epoch.learning_rate == pytest.approx(1.2500004e-05)
    assert epoch.eta_s == 0.0


def test_detectnet_train_progress_steps_deduplicated_and_normalised():
    steps = kinds(events_of("detectnet_v2_train_progress.log"), "step")
    # each step is printed twice (INFO:tensorflow: and the TAO logger); one event each
    assert [s.step for s in steps] == [2, 39, 76, 113, 151]
    assert [s.loss for s in steps] == pytest.approx(
        [0.060774766, 0.055296127, 0.052854165, 0.0509326, 0.044924647]
    )
    assert steps[1].learning_rate == pytest.approx(1.2557032e-05)
    # epoch = 0.0158... at global step 39 -> 2466 steps per epoch
    assert {s.max_step for s in steps} == {2466}
    assert {s.epoch for s in steps} == {0}
    assert steps[-1].max_epoch == 80  # learned from the "Epoch 0/80" line


def test_detectnet_train_progress_validation_table():
    events = events_of("detectnet_v2_train_progress.log")
    (val,) = kinds(events, "validation")
    assert val.map == 0.0
    assert val.ap == {c: 0.0 for c in ("bicycle", "bus", "car", "face", "motorcycle", "person", "truck")}
    assert val.kpi == {"validation_cost": pytest.approx(0.000439)}
    samples = [e.kpi["train_samples_per_sec"] for e in events if e.kpi and "train_samples_per_sec" in e.kpi]
    assert samples == pytest.approx([0.514, 5.981, 56.971, 57.328, 57.635, 57.541, 57.626])


@pytest.mark.parametrize(
    ("name", "mean", "person", "cost"),
    [
        ("detectnet_v2_train_end.log", 40.3805, 40.38046396159004, 0.003051),
        ("detectnet_v2_retrain_end.log", 21.3152, 21.315197663688227, 0.003603),
    ],
)
def test_detectnet_train_end(name, mean, person, cost):
    events = events_of(name)
    (val,) = kinds(events, "validation")
    assert (val.epoch, val.max_epoch) == (120, 120)
    assert val.map == pytest.approx(mean)
    assert val.ap == {"person": pytest.approx(person)}
    assert val.kpi["validation_cost"] == pytest.approx(cost)
    (done,) = kinds(events, "stage_done")
    assert done.message == "Training loop completed."
    assert events.index(val) < events.index(done)
    state = ProgressState().apply_all(events)
    assert state.done and state.fraction == 1.0 and state.best_map == pytest.approx(mean)


def test_detectnet_prune_ratio():
    ratios = [e.kpi["pruning_ratio"] for e in kinds(events_of("detectnet_v2_prune.log"), "kpi")]
    assert ratios == [0.9953842932430587, 0.09523263810858515]


def test_detectnet_prune_tlt2_unreadable_ratio_is_info_not_kpi():
    events = events_of("detectnet_v2_prune_tlt2.log")
    assert kinds(events, "kpi") == []
    assert [e.message for e in events] == ["Pruning ratio (pruned model / original model): 0.x"]


def test_retinanet_dataset_convert():
    events = events_of("retinanet_dataset_convert.log")
    counts = [e.kpi for e in events if e.kpi and "num_images_train" in e.kpi]
    assert counts == [{"num_images_train": 10661, "num_images_val": 0}]
    assert [e.step for e in events if e.message and e.message.startswith("Writing partition 0")] == list(
        range(10)
    )
    (cmap,) = [e for e in events if e.class_map]
    assert cmap.class_map == {"screw1": "screw1", "screw3": "screw3", "screw6": "screw6", "screw8": "screw8"}
    assert events[-1].kind == "stage_done" and events[-1].message == "Tfrecords generation complete."


def test_coco_dataset_convert_done_and_label_warning_is_not_an_error():
    events = events_of("detectnet_v2_dataset_convert_coco.log")
    assert [(e.kind, e.message) for e in events] == [("stage_done", "Tfrecords generation complete.")]


@pytest.mark.parametrize(
    "name",
    [
        "detectnet_v2_export_onnx.log",
        "launcher_info_3.21.08.log",
        "launcher_info_5.0.0.log",
        "ocrnet_export.log",
        "ocrnet_inference.log",
    ],
)
def test_logs_without_progress_yield_nothing(name):
    # tf2onnx chatter, `tao info`, an export cut before its end line, an inference table with '|'
    assert events_of(name) == []


# ------------------------------------------------------------------------------------------
# PyTorch Lightning (ocdnet / ocrnet)


def test_ocdnet_train_lightning_steps():
    events = events_of("ocdnet_train.log")
    steps = kinds(events, "step")
    # "Epoch 0:   0%| 0/541", then 53..541; Validation DataLoader bars are not steps
    assert [s.step for s in steps] == [0, *range(53, 542)]
    assert {s.max_step for s in steps} == {541}
    assert {s.epoch for s in steps} == {0}
    first, s53, last = steps[0], steps[1], steps[-1]
    assert first.eta_s is None and first.rate is None and first.loss is None
    assert s53.eta_s == 4409.0  # <1:13:29
    assert s53.rate == pytest.approx(1 / 9.04)  # 9.04s/it
    assert s53.loss == pytest.approx(2.29)
    assert last.eta_s == 0.0 and last.rate == pytest.approx(1 / 1.52)


def test_ocdnet_train_epochs_metrics_and_done():
    events = events_of("ocdnet_train.log")
    epochs = kinds(events, "epoch")
    assert [(e.epoch, e.max_epoch) for e in epochs] == [(1, None), (1, 1)]  # 100% bar, then max_epochs=1
    evals = [e for e in kinds(events, "kpi") if e.message.startswith("Evaluation results")]
    assert len(evals) == 1
    assert evals[0].kpi == {"recall": 0.30671, "precision": 0.78247, "hmean": 0.44068}
    assert evals[0].learning_rate == pytest.approx(0.000555556)
    (done,) = kinds(events, "stage_done")
    assert done.message == "Training loop complete."
    # "...recall=0.3Training loop in progress": the text glued to a cut-off bar is still read
    assert any(e.message == "Training loop in progress" for e in events)
    state = ProgressState().apply_all(events)
    assert state.max_epoch == 1 and state.fraction == 1.0 and state.done and state.loss == pytest.approx(2.29)


def test_ocdnet_evaluate_metrics_and_no_yaml_kpis():
    events = events_of("ocdnet_evaluate.log")
    kpi = {}
    for e in kinds(events, "kpi"):
        kpi.update(e.kpi)
    assert kpi == {
        "FPS": pytest.approx(13.021200623298853),
        "Precision": pytest.approx(0.7827374801956327),
        "Recall": pytest.approx(0.30690074274139095),
        "Hmean": pytest.approx(0.44092196250505156),
    }  # and nothing from the config dump (num_epochs: 50, lr: 0.001, ...)
    assert events[-1].kind == "stage_done" and events[-1].message == "Evaluation finished successfully."


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ocdnet_export.log", "Model exported to /results/ocd/export/model_best.onnx"),
        ("ocdnet_inference.log", "Inference finished successfully."),
        ("ocrnet_dataset_convert.log", "Dataset convert finished successfully."),
    ],
)
def test_pytorch_stage_done(name, message):
    assert [(e.kind, e.message) for e in events_of(name)] == [("stage_done", message)]


# ------------------------------------------------------------------------------------------
# synthetic console lines: prefixes, formats


EPOCH_MSG = "Epoch 3/120: loss: 0.00123 learning rate: 5e-05 Time taken: 0:01:05.123456 ETA: 1 day, 2:03:04"


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "2024-01-31 11:05:27,929 [TAO Toolkit] [INFO] nvidia_tao_tf1.cv.detectnet_v2.tfhooks.task_progress_monitor_hook 149: ",
        "2021-11-11 12:27:31,326 [INFO] iva.detectnet_v2.tfhooks.task_progress_monitor_hook: ",
        "2021-11-11 12:27:31,326 - iva.detectnet_v2.tfhooks.task_progress_monitor_hook - INFO - ",
        "[2023-07-13 09:50:55,783 - TAO Toolkit - some.module - INFO] ",
        "INFO:tensorflow:",
        "2026-11-28T02:12:15.832199016Z ",
        "2026-11-28T02:12:15.8321Z 2024-01-31 11:05:27,929 [TAO Toolkit] [INFO] root 2102: ",
    ],
)
def test_prefixes_are_stripped(prefix):
    (e,) = feed([prefix + EPOCH_MSG + "\n"])
    assert (e.kind, e.epoch, e.max_epoch) == ("epoch", 3, 120)
    assert e.loss == pytest.approx(0.00123) and e.learning_rate == pytest.approx(5e-05)
    assert e.eta_s == 93784.0


def test_engine_timestamp_on_every_fixture_line_changes_nothing():
    for path in ALL_LOGS:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        stamped = [f"2026-11-28T02:12:{i % 60:02d}.{i:09d}Z {line}" for i, line in enumerate(lines[2:])]
        got = [e.to_dict() for e in parse_lines(stamped)]
        assert all("time" in e for e in got[:-1] or got), path.name  # the engine's time of the line
        assert [{k: v for k, v in e.items() if k != "time"} for e in got] == [e.to_dict() for e in feed(stamped)]
        want = [e.to_dict() for e in parse_file(path)]
        for e in got + want:
            e.pop("time", None)
        assert got == want, path.name


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00:00", 0.0),
        ("05:31", 331.0),
        ("1:13:29", 4409.0),
        ("0:01:23.456000", 83.456),
        ("1 day, 2:03:04", 93784.0),
        ("3 days, 0:00:01.5", 259201.5),
        ("?", None),
        ("-1 day, 23:59:59", None),
        ("", None),
        ("soon", None),
        (12, 12.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_lightning_carriage_returns_and_ansi_keep_the_last_segment():
    raw = (
        "\rEpoch 1:  10%|#         | 5/50 [00:01<00:09,  5.00it/s, loss=0.5, v_num=0]"
        "\rEpoch 1:  12%|#2        | 6/50 [00:01<00:08,  4.00it/s, loss=0.4, v_num=0]\x1b[A\x1b[2K\n"
    )
    events = feed([raw])
    step = kinds(events, "step")[-1]
    assert (step.epoch, step.step, step.max_step, step.loss, step.eta_s, step.rate) == (
        1,
        6,
        50,
        0.4,
        8.0,
        4.0,
    )
    # epoch index 1 in progress means epoch 0 is complete
    assert [(e.epoch, e.max_epoch) for e in kinds(events, "epoch")] == [(1, None)]


def test_lightning_2_postfix_and_validation_bars():
    events = feed(
        [
            "Epoch 4:  68%|██████▊   | 2445/3605 [11:38<05:31,  3.50it/s, v_num=0, train_loss=0.434]\n",
            "Validation DataLoader 0: 100%|████████████████| 488/488 [05:41<00:00,  1.43it/s]\n",
            "Sanity Checking DataLoader 0:   0%|          | 0/2 [00:00<?, ?it/s]\n",
        ]
    )
    (step,) = kinds(events, "step")
    assert (step.epoch, step.step, step.max_step, step.loss, step.eta_s) == (4, 2445, 3605, 0.434, 331.0)


def test_plain_tabulate_ap_table():
    events = feed(
        [
            "Validation cost: 0.000261\n",
            "Mean average_precision (in %): 77.6808\n",
            "\n",
            "class name      average precision (in %)\n",
            "------------  --------------------------\n",
            "car                             82.7871\n",
            "cyclist                         82.3915\n",
            "pedestrian                      67.8638\n",
            "\n",
            "Median Inference Time: 0.005592\n",
        ]
    )
    (val,) = events
    assert val.map == pytest.approx(77.6808)
    assert val.ap == {"car": 82.7871, "cyclist": 82.3915, "pedestrian": 67.8638}


def test_table_at_end_of_input_is_flushed():
    parser = ProgressParser()
    assert parser.feed_line("Mean average_precision (in %): 12.5\n") == []
    assert parser.feed_line("| class name | average precision (in %) |\n") == []
    assert parser.feed_line("|    car     |    12.5    |\n") == []
    (val,) = parser.flush()
    assert val.ap == {"car": 12.5}


def test_keras_progress_bar():
    events = feed(
        [
            "Epoch 2/80\n",
            "  12/100 [==>...........................] - ETA: 1:02 - loss: 3.2145\n",
            " 100/100 [==============================] - 60s 600ms/step - loss: 2.5000 - val_loss: 2.7\n",
        ]
    )
    steps = kinds(events, "step")
    assert [(s.epoch, s.max_epoch, s.step, s.max_step) for s in steps] == [
        (1, 80, 12, 100),
        (1, 80, 100, 100),
    ]
    assert steps[0].eta_s == 62.0 and steps[0].loss == pytest.approx(3.2145)
    assert [(e.epoch, e.max_epoch, e.loss) for e in kinds(events, "epoch")] == [(2, 80, 2.5)]


def test_metric_lines_and_stage_done_are_deduplicated():
    events = feed(
        [
            "Accuracy: 72.416\n",
            "Precision: 0.81 Recall: 0.75 Hmean: 0.78\n",
            "  lr: 0.001\n",
            "num_epochs: 50\n",
            "Export finished successfully.\n",
            "Export finished successfully.\n",
        ]
    )
    assert [e.kpi for e in kinds(events, "kpi")] == [
        {"Accuracy": 72.416},
        {"Precision": 0.81, "Recall": 0.75, "Hmean": 0.78},
    ]
    assert len(kinds(events, "stage_done")) == 1


def test_chatter_produces_nothing():
    chatter = [
        "WARNING:tensorflow:From /usr/lib/python3.8/keras/backend.py:95: The name tf.x is deprecated.\n",
        "block_1a_conv_1 (Conv2D)            (None, 64, 192, 624) 9472        input_1[0][0]\n",
        "Too few points in geometry component at or near point 1104 269\n",
        "2024-08-22 05:24:29,795 [TAO Toolkit] [INFO] tf2onnx.tfonnx 45: folding node using tf type=Identity\n",
        "\n",
        "",
    ]
    assert feed(chatter) == []


# ------------------------------------------------------------------------------------------
# errors


def _traceback(last: str) -> list[str]:
    return [
        "Traceback (most recent call last):\n",
        '  File "/usr/local/lib/python3.8/dist-packages/nvidia_tao_tf1/cv/detectnet_v2/scripts/train.py", line 1, in <module>\n',
        "    main()\n",
        last + "\n",
    ]


@pytest.mark.parametrize(
    ("lines", "rule_text"),
    [
        (
            _traceback(
                "tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor"
            ),
            "out of memory",
        ),
        (
            _traceback("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB"),
            "out of memory",
        ),
        (
            [
                "2024-01-31 11:05:27,929 [TAO Toolkit] [ERROR] root 2102: Ran out of GPU memory, please lower the "
                "batch size, use a smaller input resolution, or use a smaller backbone.\n"
            ],
            "out of memory",
        ),
        (
            [
                "Invalid decryption. Unable to open file (file signature not found). The key used to load the model is incorrect.\n"
            ],
            "decrypt",
        ),
        (
            _traceback(
                "AssertionError: Pretrained model file not found: /workspace/pretrained/resnet18.hdf5"
            ),
            "pretrained weights",
        ),
        (_traceback("AssertionError"), "class lists are out of sync"),
        (_traceback("ValueError: Mount point source path doesn't exist. /home/me/data"), "tao_mounts"),
        (["Permission denied\n"], "may not write"),
        (_traceback("AssertionError: Ground truth kitti labels should have only 15 fields."), "15 fields"),
        (
            [
                'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n'
            ],
            "give containers the GPU",
        ),
        (
            _traceback(
                "ValueError: Validation period is not 0, but no validation data found. Either turn off validation"
            ),
            "no validation data",
        ),
        (
            [
                "Validation period is not 0, but no validation data found. Either turn off validation by setting `validation_period = 0`\n"
            ],
            "no validation data",
        ),
        (
            _traceback(
                "AssertionError: Number of logging points 10 must be <= than the number of steps per epoch 6."
            ),
            "logging points",
        ),
    ],
)
def test_errors_get_plain_message_and_fix(lines, rule_text):
    events = feed(lines)
    (err,) = kinds(events, "error")
    assert rule_text.lower() in (err.message + " " + err.fix).lower()
    assert err.fix and err.message


def test_unknown_traceback_keeps_the_exception_line():
    (err,) = feed(_traceback("KeyError: 'target_class_mapping'"))
    assert err.kind == "error" and "KeyError: 'target_class_mapping'" in err.message and err.fix


def test_same_traceback_from_every_rank_is_reported_once():
    events = feed(
        [*_traceback("RuntimeError: something broke"), *_traceback("RuntimeError: something broke")]
    )
    assert [e.kind for e in events] == ["error"]


def test_traceback_cut_off_at_end_of_input_is_still_an_error():
    (err,) = feed(["Traceback (most recent call last):\n", '  File "x.py", line 1, in <module>\n'])
    assert err.kind == "error" and err.fix


def test_error_rules_table_is_consistent():
    for rule in ERROR_RULES:
        assert rule.id and rule.gate and rule.message.strip() and rule.fix.strip()
    assert match_error("nothing to see here") is None
    assert match_error("ResourceExhaustedError: OOM when allocating tensor").id == "P5"


# ------------------------------------------------------------------------------------------
# status.json (pitfalls §4: TF1 detectnet_v2 and PyTorch 6.x)


def sj(**data) -> str:
    data.setdefault("date", "6/3/2024")
    data.setdefault("time", "9:4:12")
    data.setdefault("verbosity", "INFO")
    return json.dumps(data) + "\n"


TF1_STATUS = [
    sj(status="STARTED", message="Starting DetectNet_v2 Training job"),
    sj(status="RUNNING", message="Building DetectNet V2 model"),
    sj(
        epoch=3,
        max_epoch=120,
        time_per_epoch="0:01:05.123456",
        eta="2:09:18.000000",
        status="RUNNING",
        graphical={"loss": 0.00123, "learning_rate": "5e-05"},
    ),
    sj(
        status="RUNNING",
        message="Evaluation metrics generated.",
        kpi={"validation cost": 0.000261, "mean average precision": 77.68},
        categorical={"average_precision": {"car": 82.78, "cyclist": 82.39, "pedestrian": 67.87}},
        graphical={"loss": 0.00123, "learning_rate": "5e-05"},
    ),
    # sticky: the same kpi/categorical repeated on the next epoch line
    sj(
        epoch=4,
        max_epoch=120,
        eta="2:08:10.5",
        status="RUNNING",
        kpi={"validation cost": 0.000261, "mean average precision": 77.68},
        categorical={"average_precision": {"car": 82.78, "cyclist": 82.39, "pedestrian": 67.87}},
        graphical={"loss": 0.0011, "learning_rate": "5e-05"},
    ),
    sj(
        status="RUNNING",
        message="Model saved.",
        kpi={"size": 44.1, "param_count": 11200000},
        categorical={"average_precision": {"car": 82.78, "cyclist": 82.39, "pedestrian": 67.87}},
    ),
    sj(
        status="SUCCESS",
        message="DetectNet_v2 training job complete.",
        kpi={"size": 44.1, "param_count": 11200000},
    ),
]


def test_status_tf1_detectnet():
    events = feed_status(TF1_STATUS)
    epochs = kinds(events, "epoch")
    assert [(e.epoch, e.max_epoch) for e in epochs] == [(3, 120), (4, 120)]  # TF1: real count, no +1
    assert epochs[0].eta_s == 7758.0 and epochs[0].loss == pytest.approx(0.00123)
    assert epochs[0].learning_rate == pytest.approx(5e-05) and epochs[1].eta_s == 7690.5
    (val,) = kinds(events, "validation")  # announced once, not repeated by the sticky copy
    assert val.map == pytest.approx(77.68)
    assert val.ap == {"car": 82.78, "cyclist": 82.39, "pedestrian": 67.87}
    assert [e.kpi for e in kinds(events, "kpi")] == [{"size": 44.1, "param_count": 11200000.0}]
    assert events[-1].kind == "stage_done" and events[-1].message == "DetectNet_v2 training job complete."
    assert events[0].kind == "info" and events[0].message == "Starting DetectNet_v2 Training job"


def test_status_pytorch_6x_normalised_to_reach_100_percent():
    lines = [sj(status="STARTED", message="Starting Training Loop.")]
    for e in range(10):  # max_epochs = 10: TAO 6.x writes epoch 0..9, max_epoch 9
        lines.append(
            sj(
                epoch=e,
                step=(e + 1) * 50,
                max_epoch=9,
                max_step=500,
                time_per_epoch="0:00:30",
                time_per_step="0:00:00.6",
                eta=str(f"0:0{9 - e}:00"),
                status="RUNNING",
                message="Training loop in progress",
            )
        )
        lines.append(
            sj(status="RUNNING", message="Train metrics generated.", kpi={"train_loss": 1.0 / (e + 1)})
        )
        lines.append(
            sj(
                status="RUNNING",
                message="Eval metrics generated.",
                kpi={"val_mAP": f"0.{40 + e}", "val_mAP50": "0.6", "val_loss": 0.9},
            )
        )
    lines.append(sj(status="RUNNING", message="Training loop complete."))
    lines.append(sj(status="RUNNING", message="Train finished successfully."))
    events = feed_status(lines)
    epochs = kinds(events, "epoch")
    assert [(e.epoch, e.max_epoch) for e in epochs] == [(i, 10) for i in range(1, 11)]
    assert epochs[0].step == 50 and epochs[0].max_step == 500 and epochs[-1].eta_s == 0.0
    vals = kinds(events, "validation")
    assert [v.map for v in vals] == pytest.approx([0.40 + i / 100 for i in range(10)])  # strings -> float
    losses = [e.loss for e in kinds(events, "kpi")]
    assert losses == pytest.approx([1.0 / (i + 1) for i in range(10)])
    assert len(kinds(events, "stage_done")) == 1
    state = ProgressState().apply_all(events)
    assert state.fraction == 1.0 and state.best_map == pytest.approx(0.49)


def test_status_pytorch_5x_zero_based_epoch():
    events = feed_status(
        [sj(epoch=0, max_epoch=10, eta="0:10:00", status="RUNNING", message="Training loop in progress")]
    )
    assert [(e.epoch, e.max_epoch) for e in kinds(events, "epoch")] == [(1, 10)]


def test_status_identical_kpi_re_announced_is_emitted_again():
    line = sj(status="RUNNING", message="Eval metrics generated.", kpi={"val_mAP": "0.41"})
    assert len(kinds(feed_status([line, line]), "validation")) == 2
    sticky = sj(status="RUNNING", message="Training loop in progress", kpi={"val_mAP": "0.41"})
    assert len(kinds(feed_status([line, sticky, sticky]), "validation")) == 1


def test_status_failure_and_partial_and_bad_lines():
    parser = ProgressParser()
    oom = sj(
        status="FAILURE",
        message="Ran out of GPU memory, please lower the batch size, use a smaller "
        "input resolution, or use a smaller backbone.",
    )
    assert parser.feed_status_line("{not json}\n") == []
    assert parser.feed_status_line("[1, 2]\n") == []
    assert parser.feed_status_line(oom[:40]) == []  # partial last line: wait for the rest
    (err,) = parser.feed_status_line(oom[40:])
    assert err.kind == "error" and "batch size" in err.fix
    other = feed_status([sj(status="FAILURE", message="Configuration error: bad value", Error="KeyError: x")])
    assert other[0].kind == "error" and "Configuration error: bad value" in other[0].message and other[0].fix


def test_status_dataset_convert_object_counts():
    (e,) = feed_status(
        [
            sj(
                status="RUNNING",
                message="Cumulative object statistics",
                categorical={"num_objects": {"car": 123, "person": 45}},
            )
        ]
    )
    assert e.kind == "kpi" and e.kpi == {"car": 123.0, "person": 45.0}


def test_status_prune_kpi_and_success():
    events = feed_status(
        [
            sj(
                status="SUCCESS",
                message="Pruning finished successfully.",
                kpi={"pruning_ratio": 0.2, "size": 10.5, "param_count": 2.1},
            )
        ]
    )
    assert [e.kind for e in events] == ["kpi", "stage_done"]
    assert events[0].kpi["pruning_ratio"] == 0.2


def test_parse_file_detects_status_json(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text("".join(TF1_STATUS))
    assert [e.kind for e in parse_file(path)] == [e.kind for e in feed_status(TF1_STATUS)]
    named = tmp_path / "status.json"
    named.write_text("\n" + "".join(TF1_STATUS))
    assert len(list(parse_file(named))) == len(feed_status(TF1_STATUS))


# ------------------------------------------------------------------------------------------
# state, formatting, command


def test_state_fraction_from_steps_and_epochs():
    state = ProgressState()
    assert state.fraction is None
    state.apply(ProgressEvent("epoch", epoch=3, max_epoch=10))
    assert state.fraction == pytest.approx(0.3)
    state.apply(ProgressEvent("step", epoch=3, step=50, max_step=100))
    assert state.fraction == pytest.approx(0.35)
    state.apply(ProgressEvent("error", message="x", fix="y"))
    assert state.error is not None and not state.done


def test_format_event_lines():
    text = format_event(
        ProgressEvent("error", message="The GPU ran out of memory.", fix="Lower the batch size.")
    )
    assert text.splitlines()[0].startswith("error") and "fix: Lower the batch size." in text
    assert "eta 1d 2:03:04" in format_event(ProgressEvent("epoch", epoch=3, max_epoch=120, eta_s=93784))


def test_cli_progress_json(capsys):
    assert cli_main(["progress", str(LOGS / "detectnet_v2_train_end.log"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    allowed = {
        "kind",
        "epoch",
        "max_epoch",
        "step",
        "max_step",
        "loss",
        "learning_rate",
        "eta_s",
        "map",
        "ap",
        "message",
        "fix",
        "rate",
        "kpi",
        "class_map",
        "time",
    }
    assert all(set(r) <= allowed for r in rows)
    (val,) = [r for r in rows if r["kind"] == "validation"]
    assert val["map"] == 40.3805 and val["ap"] == {"person": 40.38046396159004}


def test_cli_progress_text_and_missing_file(capsys):
    assert cli_main(["progress", str(LOGS / "detectnet_v2_prune.log"), "--summary"]) == 0
    out = capsys.readouterr().out
    assert "Pruning ratio: 0.9954" in out and out.strip().endswith("no end in the log")
    assert cli_main(["progress", "/nonexistent/log"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_parse_lines_skips_only_leading_fixture_headers():
    lines = ["# source: x\n", "# note: y\n", "Export finished successfully.\n"]
    assert [e.kind for e in parse_lines(lines)] == ["stage_done"]


# ------------------------------------------------------------------------------------------
# robustness


FIXTURE_LINES = [line for p in ALL_LOGS for line in p.read_text(errors="replace").splitlines(keepends=True)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=300), max_size=20))
def test_garbage_never_raises(lines):
    parser = ProgressParser()
    for line in lines:
        assert isinstance(parser.feed_line(line), list)
        assert isinstance(parser.feed_status_line(line), list)
    parser.flush()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_binary_decoded_with_replace_never_raises(blob):
    text = blob.decode("utf-8", errors="replace")
    parser = ProgressParser()
    for line in text.splitlines(keepends=True):
        parser.feed_line(line)
        parser.feed_status_line(line)
    parser.flush()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(FIXTURE_LINES + TF1_STATUS),
    st.integers(0, 400),
    st.sampled_from(["", "\n", "\r", "\x1b[A"]),
)
def test_truncated_lines_never_raise(line, cut, tail):
    parser = ProgressParser()
    parser.feed_line(line[:cut] + tail)
    parser.feed_status_line(line[:cut] + tail)
    parser.flush()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(FIXTURE_LINES), max_size=60))
def test_shuffled_fixture_lines_never_raise(lines):
    events = feed(lines)
    assert all(
        e.kind in ("epoch", "step", "validation", "kpi", "stage_done", "error", "info") for e in events
    )


def test_ten_megabyte_lines():
    parser = ProgressParser()
    big = "x" * 10_000_000
    assert parser.feed_line(big + "\n") == []
    parser.feed_line("Epoch 0:  5%|" + "#" * 10_000_000 + "| 1/20 [00:01<00:19, 1.00it/s]\n")
    parser.feed_line("Traceback (most recent call last):\n")
    parser.feed_line("  " + "y" * 10_000_000 + "\n")
    assert kinds(parser.flush(), "error")
    (info,) = parser.feed_status_line('{"message": "' + "z" * 10_000_000 + '"}\n')
    assert info.kind == "info" and len(info.message) <= 400
    assert parser.feed_status_line('{"a": "' + "z" * 10_000_000) == []  # unterminated: kept, not parsed


def test_tf1_keras_detector_ap_table():
    """yolo_v3/v4, ssd, retinanet, faster_rcnn print their evaluation as `<class> AP <v>` + `mAP <v>`."""
    lines = [
        "Producing predictions: 100%|██████████| 24/24 [00:12<00:00,  1.97it/s]",
        "Start to calculate AP for each class",
        "*******************************",
        "car           AP    0.70219",
        "cyclist       AP    0.61429",
        "pedestrian    AP    0.52016",
        "              mAP   0.61221",
        "*******************************",
        "Epoch 3/80",
    ]
    parser = ProgressParser()
    events = [e for line in lines for e in parser.feed_line(line)] + parser.flush()
    val = [e for e in events if e.kind == "validation"]
    assert len(val) == 1
    assert val[0].map == pytest.approx(0.61221)
    assert val[0].ap == {"car": pytest.approx(0.70219), "cyclist": pytest.approx(0.61429),
                         "pedestrian": pytest.approx(0.52016)}


def test_detectnet_table_after_the_same_header_still_parses():
    parser = ProgressParser()
    lines = ["Start to calculate AP for each class", "=========================", "",
             "Validation cost: 0.000439", "Mean average_precision (in %): 12.5000", ""]
    events = [e for line in lines for e in parser.feed_line(line)] + parser.flush()
    assert [e.map for e in events if e.kind == "validation"] == [pytest.approx(12.5)]


def test_lightning_bar_validation_metrics_once_per_change():
    parser = ProgressParser()
    bar = "Epoch 1:  {p}%|█████     | {s}/500 [06:15<06:15,  0.67it/s, loss=18.1, v_num=0, val_loss=20.1, val_mAP=0.312]"
    events = parser.feed_line(bar.format(p=50, s=250)) + parser.feed_line(bar.format(p=51, s=255))
    kpis = [e for e in events if e.kind == "kpi"]
    assert len(kpis) == 1 and kpis[0].map == pytest.approx(0.312)
    assert kpis[0].kpi == {"val_loss": pytest.approx(20.1), "val_mAP": pytest.approx(0.312)}


def test_keras_epoch_end_metrics_and_estimator_steps():
    parser = ProgressParser()
    lines = [
        "Epoch 1/80",
        "117/117 [==============================] - 150s 1s/step - loss: 1.0233 - acc: 0.6512 - val_loss: 0.9123 - val_acc: 0.7031",
        "INFO:tensorflow:loss = 0.35218, step = 100 (12.345 sec)",
    ]
    events = [e for line in lines for e in parser.feed_line(line)] + parser.flush()
    kpi = [e for e in events if e.kind == "kpi"]
    assert kpi and kpi[0].kpi == {"acc": pytest.approx(0.6512), "val_loss": pytest.approx(0.9123),
                                  "val_acc": pytest.approx(0.7031)}
    steps = [e for e in events if e.kind == "step" and e.step == 100]
    assert steps and steps[0].loss == pytest.approx(0.35218)
