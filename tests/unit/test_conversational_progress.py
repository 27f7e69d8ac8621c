"""NeMo (TAO 3.x/4.x conversational) progress: Lightning bars with WER, the checkpoint line, the test
results (Lightning's dict and table) and NeMo's classification report. The lines are written in the
shapes Lightning and NeMo print (no recorded TAO 3.x log was at hand); see tao_tui/progress/nemo.py."""

from __future__ import annotations

from tao_tui.progress import ProgressParser, ProgressState

ASR_TRAIN = """\
[NeMo I 2022-05-20 10:00:00 exp_manager:283] Experiments will be logged at /results/train
Epoch 0:  50%|█████     | 5/10 [00:02<00:02,  2.10it/s, loss=150.3, v_num=0]
Epoch 0: 100%|██████████| 10/10 [00:04<00:00,  2.20it/s, loss=120.1, v_num=0, val_loss=110.5, val_wer=0.985]
Epoch 0, global step 9: val_wer reached 0.98500 (best 0.98500), saving model to "/r/checkpoints/m--val_wer=0.98-epoch=0.ckpt" as top 3
Epoch 1: 100%|██████████| 10/10 [00:04<00:00,  2.20it/s, loss=90.1, v_num=0, val_loss=80.5, val_wer=0.702]
Epoch 1, global step 19: val_wer was not in top 3
"""
EVAL_DICT = """\
--------------------------------------------------------------------------------
DATALOADER:0 TEST RESULTS
{'test_loss': tensor(75.4312, device='cuda:0'),
 'test_wer': tensor(0.6421, device='cuda:0')}
--------------------------------------------------------------------------------
"""
EVAL_TABLE = """\
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃        Test metric        ┃       DataLoader 0        ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│         test_loss         │    75.43119812011719      │
│          test_f1          │    92.2300033569336       │
└───────────────────────────┴───────────────────────────┘
done
"""
REPORT = """\
[NeMo I 2022-05-20 10:02:00 text_classification_model:180] val_report:
    label                                                precision    recall       f1           support
    label_id: 0                                             93.32      90.54      91.91        458
    label_id: 1                                             91.25      93.86      92.54        477
    -------------------
    micro avg                                               92.23      92.23      92.23        935
    macro avg                                               92.29      92.20      92.22        935
    weighted avg                                            92.27      92.23      92.23        935
"""


def _events(text: str):
    p = ProgressParser()
    out = []
    for line in text.splitlines():
        out += p.feed_line(line + "\n")
    return out + p.flush()


def test_asr_training_bars_wer_and_checkpoints():
    events = _events(ASR_TRAIN)
    steps = [e for e in events if e.kind == "step"]
    assert [(e.epoch, e.step, e.max_step) for e in steps] == [(0, 5, 10), (0, 10, 10), (1, 10, 10)]
    assert [e.kpi["val_wer"] for e in events if e.kind == "kpi"] == [0.985, 0.702]
    checks = [e for e in events if e.kind == "validation"]
    assert [(c.epoch, c.kpi) for c in checks] == [(1, {"val_wer": 0.985}), (2, None)]
    assert "did not improve" in checks[1].message
    state = ProgressState()
    for e in events:
        state.apply(e)
    assert state.kpi["val_wer"] == 0.702 and state.summary().endswith("WER 0.702")


def test_evaluate_results_as_lightning_prints_them():
    (kpi,) = [e for e in _events(EVAL_DICT) if e.kind == "kpi"]
    assert kpi.kpi == {"test_loss": 75.4312, "test_wer": 0.6421} and kpi.loss == 75.4312
    (table,) = [e for e in _events(EVAL_TABLE) if e.kind == "kpi"]
    assert table.kpi == {"test_loss": 75.43119812011719, "test_f1": 92.2300033569336}


def test_nemo_classification_report_accuracy_and_f1():
    (ev,) = [e for e in _events(REPORT) if e.kind == "kpi"]
    assert ev.kpi["accuracy"] == 92.23 and ev.kpi["macro_avg.f1"] == 92.22
    assert ev.kpi["label_id: 1.recall"] == 93.86 and ev.kpi["weighted_avg.support"] == 935
    assert ev.message == "classification report: 2 labels, accuracy 92.23%, macro F1 92.22%"


def test_a_cut_report_still_reports_and_other_lines_pass_through():
    cut = "\n".join(REPORT.splitlines()[:4]) + "\nEpoch 2: 100%|█| 10/10 [00:01<00:00, 9.1it/s, loss=1.0]\n"
    events = _events(cut)
    assert [e.kind for e in events][:1] == ["kpi"] and events[0].kpi["label_id: 1.f1"] == 92.54
    assert any(e.kind == "step" and e.epoch == 2 for e in events)


def test_the_summary_headlines_test_wer_and_text_accuracy():
    state = ProgressState()
    for e in _events(ASR_TRAIN + EVAL_DICT):
        state.apply(e)
    assert "WER 0.6421" in state.summary()  # the test result over the last validation
    state = ProgressState()
    for e in _events(REPORT):
        state.apply(e)
    assert "accuracy 92.23" in state.summary()


def test_nemo_logger_prefix_and_a_missing_value():
    events = _events(
        "[NeMo I 2022-05-20 10:00:09 model_checkpoint:200] Epoch 3, global step 39: val_wer reached 0.41 "
        "(best 0.41), saving model to '/r/m.ckpt' as top 3\n"
        "omegaconf.errors.MissingMandatoryValue: Missing mandatory value: training_ds.manifest_filepath\n"
    )
    assert events[0].kind == "validation" and events[0].epoch == 4 and events[0].kpi == {"val_wer": 0.41}
    err = next(e for e in events if e.kind == "error")
    assert "training_ds.manifest_filepath" in err.message and "tao-tui set" in err.fix
