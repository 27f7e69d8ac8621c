"""The conversational (NeMo) dataset formats: examples counted, malformed lines flagged by kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tao_tui.dataset import FORMAT_WORDS, data_format, scan_dataset
from tao_tui.dataset_nemo import detect_nemo, scan_nemo
from tao_tui.errors import UserError


def _manifest(path: Path, rows: list) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_networks_read_their_nemo_format():
    assert data_format("speech_to_text_citrinet") == "asr_manifest"
    assert data_format("spectro_gen") == "asr_manifest"
    assert data_format("text_classification") == "tsv"
    assert data_format("punctuation_and_capitalization") == "text_labels"
    assert data_format("intent_slot_classification") == "intent_slot"
    assert all(f in FORMAT_WORDS for f in ("asr_manifest", "tsv", "text_labels", "intent_slot"))


def test_asr_manifest_counts_and_flags(tmp_path):
    (tmp_path / "wav").mkdir()
    for i in range(2):
        (tmp_path / "wav" / f"{i}.wav").write_bytes(b"RIFF")
    good = {
        "audio_filepath": "/workspace/tao-experiments/data/wav/0.wav",
        "text": "hello",
        "duration": 1800.0,
    }
    _manifest(tmp_path / "train_manifest.json", [
        good,
        {**good, "audio_filepath": "wav/1.wav", "duration": 1800},  # relative to the manifest
        "{not json",
        {"audio_filepath": "wav/0.wav", "text": "x"},  # no duration
        {**good, "duration": -1},
        {**good, "duration": "3.2"},
        {**good, "text": " "},
        {**good, "audio_filepath": "/workspace/tao-experiments/data/wav/missing.wav"},
        "",
    ])  # fmt: skip
    scan = scan_dataset(tmp_path, fmt="asr_manifest")
    assert scan.images == 4 and scan.labels == 1 and round(scan.hours, 2) == 2.0
    counts = {p.kind: p.count for p in scan.problems}
    assert counts == {"bad_json": 1, "missing_field": 1, "bad_duration": 2, "empty_text": 1, "no_audio": 1}
    assert scan.problem("bad_json").example == "train_manifest.json:3"
    assert "missing.wav" in scan.problem("no_audio").example
    assert scan.problem("empty_text").level == "warn"
    text = "\n".join(scan.summary_lines())
    assert "4 utterances in 1 files, 2.00 hours of audio" in text and "fix:" in text
    assert detect_nemo(tmp_path) == "asr_manifest"


def test_text_classification_tsv(tmp_path):
    (tmp_path / "train.tsv").write_text(
        "sentence\tlabel\nsaw how bad this movie was\t0\nthe greatest musicians\t1\nno tab here 1\n"
        "a dumb story\tpositive\n\n"
    )
    (tmp_path / "dev.tsv").write_text("lend some dignity\t0\n")
    scan = scan_nemo(tmp_path)
    assert scan.format == "tsv" and scan.images == 3
    assert dict(scan.classes) == {"0": 2, "1": 1}
    assert {p.kind: p.count for p in scan.problems} == {"bad_columns": 1, "bad_label": 1, "empty_line": 1}
    assert scan.problem("bad_columns").example == "train.tsv:4"


def test_token_labels_pairs(tmp_path):
    (tmp_path / "text_train.txt").write_text("john lives in paris\nhello\nshort line\n")
    (tmp_path / "labels_train.txt").write_text("B-PER O O B-LOC\nO\nO\n")
    (tmp_path / "text_dev.txt").write_text("a b\n")
    scan = scan_nemo(tmp_path, "text_labels")
    assert scan.images == 2 and scan.classes["O"] == 3 and scan.classes["B-LOC"] == 1
    kinds = {p.kind: p for p in scan.problems}
    assert kinds["count_mismatch"].example == "text_train.txt:3 (2 words, 1 labels)"
    assert kinds["no_pair"].example == "text_dev.txt"


def test_intent_slot(tmp_path):
    (tmp_path / "dict.intents.csv").write_text("weather\ngreet\n")
    (tmp_path / "dict.slots.csv").write_text("O\nlocation\n")
    (tmp_path / "train.tsv").write_text("sentence\tlabel\nweather in paris\t0\nhi\t5\n")
    (tmp_path / "train_slots.tsv").write_text("0 0 1\n0 0\n")
    scan = scan_nemo(tmp_path)
    assert scan.format == "intent_slot" and scan.images == 1
    kinds = {p.kind: p.count for p in scan.problems}
    assert kinds == {"label_range": 1, "count_mismatch": 1}


def test_empty_folder_names_every_format(tmp_path):
    with pytest.raises(UserError) as err:
        scan_nemo(tmp_path)
    assert err.value.field == "dataset" and "manifests" in err.value.fix


def test_raw_data_for_dataset_convert_is_a_warning_not_a_failure(tmp_path):
    (tmp_path / "an4" / "wav").mkdir(parents=True)  # the raw an4 layout, before dataset_convert
    scan = scan_dataset(tmp_path / "an4", fmt="asr_manifest")
    assert [(p.kind, p.level) for p in scan.problems] == [("no_files", "warn")]
    assert scan.images == 0 and "dataset_convert" in scan.problems[0].fix
