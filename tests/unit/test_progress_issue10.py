"""Issue 10 items 1-6: the kinds of TAO output real users hit, as general rules.

Every input here is written for this test (other class names, numbers, files and loggers than the
issue's examples) and runs in three forms: as printed, with the engine timestamp tao-tui's run log
puts in front of each line, and with a tqdm bar joined in front by a carriage return (what a
terminal-width bar leaves in a captured log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tao_tui.progress import ERROR_RULES, ProgressEvent, ProgressParser, ProgressState, format_event

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
BAR = "Producing predictions:  40%|####      | 20/50 [00:04<00:06,  4.81it/s]\r"


def stamped(lines: list[str]) -> list[str]:
    return [f"2026-11-29T10:{i // 60:02d}:{i % 60:02d}.123456789Z {line}" for i, line in enumerate(lines)]


def cr_joined(lines: list[str]) -> list[str]:
    return [BAR + line if line.strip() else line for line in lines]


VARIANTS = {"plain": lambda lines: list(lines), "timestamped": stamped, "cr-joined": cr_joined}


def run(lines: list[str], variant: str = "plain", **kw) -> list[ProgressEvent]:
    parser = ProgressParser(**kw)
    events: list[ProgressEvent] = []
    for line in VARIANTS[variant](lines):
        events += parser.feed_line(line + "\n")
    return events + parser.flush()


def of(events, kind):
    return [e for e in events if e.kind == kind]


variants = pytest.mark.parametrize("variant", list(VARIANTS))


# 1. AP tables whose class name fills its column ----------------------------------------------

KERAS_AP_TABLE = [
    "Epoch 5/20",
    "310/310 [==============================] - 95s 306ms/step - loss: 7.3121",
    "Producing predictions: 100%|██████████| 31/31 [00:03<00:00,  9.12it/s]",
    "Start to calculate AP for each class",
    "*******************************",
    "bicycle       AP    0.25000",
    "traffic_light_redAP    0.75000",
    "construction_vehicleAP    0.125",
    "bus stop      AP    0.5",
    "              mAP   0.40625",
    "*******************************",
    "Validation loss: 3.25",
    "",
    "Epoch 00005: saving model to /results/weights/yolov4_resnet18_epoch_005.hdf5",
    "Epoch 6/20",
]


@variants
def test_ap_table_long_class_names_run_into_ap(variant):
    (val,) = of(run(KERAS_AP_TABLE, variant), "validation")
    assert val.ap == {"bicycle": 0.25, "traffic_light_red": 0.75, "construction_vehicle": 0.125, "bus stop": 0.5}
    assert val.map == 0.40625  # the mAP row, not the first class
    assert val.kpi == {"validation_loss": 3.25}
    assert (val.epoch, val.max_epoch) == (5, 20)  # the Keras epoch this validation ends


def test_ap_table_of_evaluate_ends_at_the_next_line_or_at_the_end():
    table = KERAS_AP_TABLE[3:11]
    (val,) = of(run(table), "validation")  # ends at flush
    assert val.map == 0.40625 and len(val.ap) == 4 and val.epoch is None
    events = run([*table, "2023-07-13 17:41:38,940 [TAO Toolkit] [INFO] root 2102: Evaluation complete."])
    assert [e.kind for e in events] == ["validation", "stage_done"]


def test_ap_table_with_a_nan_row_and_a_class_named_like_the_mean():
    lines = ["Start to calculate AP for each class", "****", "m             AP    0.3", "empty_class_nameAP    nan", "              mAP   0.3", "****"]
    (val,) = of(run(lines), "validation")
    assert val.ap == {"m": 0.3} and val.map == 0.3


def test_validation_loss_on_its_own_is_an_event():
    (ev,) = run(["Validation loss: 41.5"])
    assert ev.kind == "kpi" and ev.kpi == {"validation_loss": 41.5} and ev.loss is None  # not the training loss


# 2. The epoch of a validation block ------------------------------------------------------------

DETECTNET_VALIDATION = [
    "INFO:tensorflow:epoch = 6.02, learning_rate = 1e-05, loss = 0.0061, step = 602 (4.1 sec)",
    "Matching predictions to ground truth, class 1/2.: 100%|██████████| 40/40 [00:00<00:00, 9811.2it/s]",
    "Epoch 7/7",
    "=========================",
    "",
    "Validation cost: 0.000712",
    "Mean average_precision (in %): 61.2500",
    "",
    "+------------+--------------------------+",
    "| class name | average precision (in %) |",
    "+------------+--------------------------+",
    "|  forklift  |           70.0           |",
    "|   pallet   |           52.5           |",
    "+------------+--------------------------+",
    "",
    "Median Inference Time: 0.001202",
]


@variants
def test_detectnet_validation_block_counts_its_epoch(variant):
    events = run(DETECTNET_VALIDATION, variant)
    (val,) = of(events, "validation")
    assert (val.epoch, val.max_epoch, val.map) == (7, 7, 61.25)
    assert val.ap == {"forklift": 70.0, "pallet": 52.5}
    state = ProgressState().apply_all(events)
    # the step line of epoch 6 is older news than "Epoch 7/7": no stale step, no "epoch 0/7"
    assert state.summary().startswith("epoch 7/7  loss 0.0061  mAP 61.25")
    assert "step" not in state.summary() and state.fraction == 1.0


def test_plain_detectnet_table_of_tlt2_counts_its_epoch_too():
    lines = [
        "Epoch 12/40",
        "=========================",
        "Validation cost: 0.0019",
        "Mean average_precision (in %): 8.1000",
        "class name      average precision (in %)",
        "------------  --------------------------",
        "car                                8.1",
        "",
    ]
    state = ProgressState().apply_all(run(lines))
    assert state.summary() == "epoch 12/40  mAP 8.10"


# 3. The end of a stage that is not train -------------------------------------------------------

ENDS = [
    "2021-03-02 09:14:55,101 [INFO] __main__: Evaluation complete.",  # TLT 2
    "2024-02-11 08:01:02,300 [TAO Toolkit] [INFO] root 2102: Evaluation complete.",  # TAO 3-5
    "2024-02-11 08:01:02,301 - __main__ - INFO - Evaluation complete.",  # 3.x asctime form
    "Time taken to run nvidia_tao_tf1.cv.ssd.scripts.prune:main: 0:02:41.912817.",
    "Time taken to run __main__:main: 0:00:07.5",
    "Evaluation finished successfully.",
    "[2024-05-06 07:08:09,000 - TAO Toolkit - root - INFO] Inference finished successfully.",
    "Export finished successfully.",
]


@pytest.mark.parametrize("line", ENDS)
@variants
def test_stage_ends_of_evaluate_inference_export_prune(line, variant):
    events = run(["Pruning ratio (pruned model / original model): 0.31", line], variant)
    assert of(events, "stage_done"), line
    state = ProgressState().apply_all(events)
    assert state.done and not state.finished  # the log says so; only the exit finishes a run
    assert state.outcome() == "the log says it ended"
    state.set_exit(0)
    assert state.finished and state.outcome() == "finished" and state.fraction == 1.0


def test_time_taken_of_another_function_is_not_an_end():
    assert not run(["Time taken to run load_dataset: 0:00:03"])


def test_status_json_success_ends_evaluate():
    parser = ProgressParser()
    events = parser.feed_status_line(json.dumps({"date": "5/6/2024", "status": "SUCCESS", "message": "Evaluation finished successfully."}) + "\n")
    assert [e.kind for e in events] == ["stage_done"]


# 4. Classification TF1 evaluate output ---------------------------------------------------------

CLASSIFICATION_EVAL = [
    "2024-03-01 12:00:00,000 [TAO Toolkit] [INFO] __main__ 121: Evaluation Loss: 1.5e-1",
    "2024-03-01 12:00:00,001 [TAO Toolkit] [INFO] __main__ 122: Evaluation Top K accuracy: 0.9925",
    "Confusion Matrix",
    "[[48  2  0]",
    " [ 1 47  2]",
    " [ 0  3 47]]",
    "Classification Report",
    "              precision    recall  f1-score   support",
    "",
    "       apple       0.98      0.96      0.97        50",
    "  green pear       0.90      0.94      0.92        50",
    "       lemon       0.96      0.94      0.95        50",
    "",
    "    accuracy                           0.95       150",
    "   macro avg       0.95      0.95      0.95       150",
    "weighted avg       0.95      0.95      0.95       150",
    "",
]


@variants
def test_classification_evaluate(variant):
    events = run(CLASSIFICATION_EVAL, variant)
    kpis = of(events, "kpi")
    assert kpis[0].loss == 0.15 and kpis[0].kpi == {"loss": 0.15}
    assert kpis[1].kpi == {"top_k_accuracy": 0.9925}
    report = kpis[2].kpi
    assert report["accuracy"] == 0.95
    assert report["green pear.precision"] == 0.90 and report["green pear.recall"] == 0.94
    assert report["apple.support"] == 50 and report["weighted_avg.f1-score"] == 0.95
    assert "3 classes" in kpis[2].message
    state = ProgressState().apply_all(events)
    assert state.kpi["top_k_accuracy"] == 0.9925 and state.kpi["lemon.recall"] == 0.94


def test_classification_report_of_older_scikit_learn():
    lines = [
        "             precision    recall  f1-score   support",
        "",
        "        cat       0.50      1.00      0.67         1",
        "        dog       0.00      0.00      0.00         1",
        "",
        "avg / total       0.25      0.50      0.33         2",
        "Some other line",
    ]
    (ev,) = run(lines)
    assert ev.kpi["avg_total.recall"] == 0.5 and ev.kpi["dog.precision"] == 0.0 and "accuracy" not in ev.kpi


# 5. Objects dropped by dataset_convert ---------------------------------------------------------

def skipped(n: int, path: str, x1: int, x2: int) -> list[str]:
    return [
        f"2024-04-04 04:04:04,444 [TAO Toolkit] [DEBUG] nvidia_tao_tf1.cv.detectnet_v2.dataio.kitti_converter_lib 211: "
        f"Top left coordinate must be less than bottom right.Error in object {n} of label_file {path}. "
        f"Coordinates: x1 = {x1}, x2 = {x2}, y1: 10, y2: 90",
        "Skipping this object",
    ]


@variants
def test_dataset_convert_skipped_objects_are_one_warning(variant):
    lines = ["2024-04-04 04:04:03,000 [TAO Toolkit] [INFO] nvidia_tao_tf1.cv.detectnet_v2.dataio.dataset_converter_lib 81: Writing partition 0, shard 0"]
    files = [f"/workspace/data/training/label_2/{i:06d}.txt" for i in range(5)]
    for i, path in enumerate(files):
        lines += skipped(0, path, 500 + i, 100)
        if i == 2:
            lines += skipped(4, path, 7, 3)  # a second object in the same file
    lines += ["2024-04-04 04:05:00,000 [TAO Toolkit] [INFO] root 2102: Tfrecords generation complete."]
    events = run(lines, variant)
    assert [e.kind for e in events] == ["info", "warning", "stage_done"]
    (warning,) = of(events, "warning")
    assert warning.kpi == {"skipped_objects": 6.0, "files_with_skipped_objects": 5.0}
    assert files[0] in warning.message and files[2] in warning.message and files[3] not in warning.message
    assert "and others" in warning.message and warning.fix
    assert ProgressState().apply_all(events).warnings == [warning]


def test_skipped_objects_without_an_end_line_come_at_flush():
    events = run(skipped(1, "/data/lbl/a.txt", 9, 1))
    (warning,) = events
    assert warning.kind == "warning" and "1 object " in warning.message and "/data/lbl/a.txt" in warning.message
    assert "warning" in format_event(warning) and "fix:" in format_event(warning)


# 6. Errors that name neither "Error" nor "memory" ----------------------------------------------

ERRORS = [
    ("2026-11-29T10:00:00.1Z W1129 10:00:00.100 77 bfc_allocator.cc:439] Resource exhausted: OOM when allocating tensor with shape[16,64,384,1248] and type float", "P5"),
    ("tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor of shape [4,256,272,480]", "P5"),
    ("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB (GPU 0; 15.77 GiB total capacity)", "P5"),
    ("RuntimeError: DataLoader worker (pid 4242) is killed by signal: Bus error. It is possible that dataloader's workers are out of shared memory.", "M6"),
    ("ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).", "M6"),
    ("RuntimeError: unable to write to file </torch_2112_3326915394>: No space left on device (28)", "M6"),
    ("RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`", "P5"),
    ("docker: Error response from daemon: No such container: 5f1e0c2a9b7d.", "D1"),
    ("RuntimeError: CUDA error: device-side assert triggered", "DINO1"),
    ("ValueError: Dataset size smaller than total batch size (3 < 8)", "DINO4"),
    ("omegaconf.errors.ValidationError: Error merging 'dino_train.yaml' with schema", "DINO3"),
]


@pytest.mark.parametrize(("line", "rule_id"), ERRORS)
def test_error_lines_get_an_explanation_and_a_fix(line, rule_id):
    (ev,) = [e for e in run([line]) if e.kind == "error"]
    rule = next(r for r in ERROR_RULES if r.id == rule_id)
    assert ev.message.startswith(rule.message) and ev.fix == rule.fix


def test_the_fixes_say_what_to_change():
    rules = {r.id: r for r in ERROR_RULES}
    assert "batch size" in rules["P5"].fix and "input size" in rules["P5"].fix
    assert "shm_size" in rules["M6"].fix
    assert "Colab" in rules["D1"].fix and "docker logs" in rules["D1"].fix
    assert "num_classes" in rules["DINO1"].fix


@pytest.mark.parametrize(
    ("final", "rule_id"),
    [
        ("AssertionError: num_select must be < num_queries * num_classes", "DINO2"),
        ("AssertionError: len(return_interm_indices) must match num_feature_levels", "DINO5"),
        ("TypeError: DINODatasetConvertConfig: field 'image_dir' has default None", "DINO6"),
    ],
)
def test_dino_catalog_errors_in_a_traceback(final, rule_id):
    tb = ["Traceback (most recent call last):", '  File "/usr/local/lib/python3.10/dist-packages/x.py", line 3, in main', "    build()", final]
    (ev,) = of(run(tb), "error")
    assert ev.fix == next(r for r in ERROR_RULES if r.id == rule_id).fix


def test_every_error_rule_names_its_source():
    for rule in ERROR_RULES:
        assert rule.source, rule.id
        assert rule.message and rule.fix, rule.id


# the same kinds in real users' output (tests/fixtures/logs, see SOURCES.md) --------------------

def test_real_yolo_v4_tiny_ap_table():
    from tao_tui.progress import parse_file

    events = list(parse_file(LOGS / "yolo_v4_tiny_train_end.log"))
    (val,) = of(events, "validation")
    assert val.ap == {"bicycle": 0.42806, "electric_bicycle": 0.73193} and val.map == 0.58
    assert (val.epoch, val.max_epoch) == (80, 80) and val.kpi["validation_loss"] == pytest.approx(22.935384)
    assert ProgressState().apply_all(events).summary() == "epoch 80/80  loss 17.706  mAP 0.58"


def test_real_classification_evaluate():
    from tao_tui.progress import parse_file

    kpi = ProgressState().apply_all(parse_file(LOGS / "classification_tf1_evaluate.log")).kpi
    assert kpi["loss"] == pytest.approx(0.3027826) and kpi["top_k_accuracy"] == 1.0 and kpi["accuracy"] == 0.95
    assert kpi["electric_bicycle.recall"] == 0.99 and kpi["bicycle.precision"] == 0.96


def test_detectnet_epoch_header_glued_to_the_matching_bar():
    lines = [
        "Matching predictions to ground truth, class 1/1.: 100%|██████████| 9/9 [00:00<00:00, 812.5it/s]Epoch 25/25",
        "=========================",
        "Validation cost: 0.0021",
        "Mean average_precision (in %): 33.3000",
        "",
    ]
    for variant in VARIANTS:
        (val,) = of(run(lines, variant), "validation")
        assert (val.epoch, val.max_epoch, val.map) == (25, 25, 33.3), variant
