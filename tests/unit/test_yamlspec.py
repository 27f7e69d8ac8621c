"""YAML, JSON and plain-list documents: untouched text stays byte-identical, edits are local."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tao_tui.errors import SpecParseError, UserError
from tao_tui.specs import load_spec, parse_spec
from tao_tui.specs.yamlspec import ListDoc, looks_like_list

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference_specs"


def _diff(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]  # fmt: skip


def test_yaml_scalar_edits_touch_only_their_lines():
    path = REF / "dino" / "train.yaml"
    doc = load_spec(path)
    text = path.read_text()
    assert doc.format == "yaml" and doc.render() == text
    doc.set("train.num_epochs", 5)
    doc.set("dataset.batch_size", 2)
    doc.set("train.optim.lr", 1e-05)
    doc.set("dataset.augmentation.fixed_padding", True)  # keeps the file's True/False spelling
    doc.set("dataset.train_data_sources[0].image_dir", "/data/my images: train")
    diff = _diff(text, doc.render())
    assert [ln for ln in diff if ln.startswith("+")] == [
        "+    lr: 1.0e-05",
        "+  num_epochs: 5",
        '+    - image_dir: "/data/my images: train"',
        "+  batch_size: 2",
        "+    fixed_padding: True",
    ]
    assert len(diff) == 10
    assert doc.get("train.num_epochs") == 5
    assert doc.get("dataset.train_data_sources[0].image_dir") == "/data/my images: train"
    assert doc.get("train.optim.lr") == pytest.approx(1e-05)


def test_yaml_strings_that_look_like_other_types_are_quoted():
    doc = parse_spec("a: x\nb: 'q'\nc: 1.5\n", "yaml", "t.yaml")
    doc.set("a", "yes")  # a bool in YAML 1.1 (what OmegaConf reads)
    doc.set("b", "it's")
    doc.set("c", 2)  # a float field stays a float
    assert doc.render() == "a: \"yes\"\nb: 'it''s'\nc: 2.0\n"
    assert doc.get("a") == "yes" and doc.get("b") == "it's" and doc.get("c") == 2.0


def test_yaml_lists_and_mappings_keep_comments_and_order():
    text = "a:\n  classes:\n    - car   # first\n    - bus\n\n  # about m\n  m:\n    x: 1\n    y: two\nb: [1, 2]\n"
    doc = parse_spec(text, "yaml", "t.yaml")
    assert doc.get_list("a.classes") == ["car", "bus"]
    assert doc.count("a.classes") == 2
    doc.set_list("a.classes", ["truck", "person"])
    doc.set_mapping("a.m", [("p", "q")])
    doc.set("b[1]", 7)
    assert (
        doc.render()
        == "a:\n  classes:\n    - truck\n    - person\n\n  # about m\n  m:\n    p: q\nb: [1, 7]\n"
    )
    assert doc.get_mapping("a.m") == [("p", "q")]
    assert [p for p, _ in doc.leaves()] == ["a.classes[0]", "a.classes[1]", "a.m.p", "b[0]", "b[1]"]


def test_yaml_errors():
    with pytest.raises(SpecParseError) as err:
        parse_spec("a: 1\nb: [1, 2\nc: 3\n", "yaml", "bad.yaml")
    assert err.value.file == "bad.yaml" and err.value.line >= 2
    doc = parse_spec("a:\n  b: 1\n", "yaml", "t.yaml")
    with pytest.raises(UserError) as uerr:
        doc.get("a.c")
    assert uerr.value.field == "a.c"
    with pytest.raises(UserError):
        doc.get("a")  # a block
    with pytest.raises(UserError):
        doc.set("a", 3)


def test_json_edits_are_local_and_keep_indent():
    path = REF / "gesturenet" / "train_spec.json"
    text = path.read_text()
    doc = load_spec(path)
    assert doc.format == "json" and doc.render() == text
    doc.set("batch_size", 3)
    doc.set("dataset.augmentation.shear_range", 2)
    doc.set_list("dataset.augmentation.brightness_range", [0.25, 1.75])
    diff = _diff(text, doc.render())
    assert [ln for ln in diff if ln.startswith("+")] == [
        '+    "batch_size": 3,',
        '+            "shear_range": 2.0,',
        "+                0.25,",
        "+                1.75",
    ]
    assert json.loads(doc.render())["dataset"]["augmentation"]["brightness_range"] == [0.25, 1.75]
    assert doc.get_mapping("dataset.classes")[0] == ("thumbs_up", "0")


def test_json_errors_are_located():
    with pytest.raises(SpecParseError) as err:
        parse_spec('{\n  "a": 1,\n  "b": }\n', "json", "bad.json")
    assert (err.value.line, err.value.column) == (3, 8)
    doc = parse_spec('{"a": 1}', "json", "x.json")
    with pytest.raises(UserError):
        doc.set("a", float("nan"))


def test_plain_list_files_are_list_documents():
    path = REF / "retail_object_detection" / "classmap.txt"
    doc = load_spec(path)
    assert isinstance(doc, ListDoc) and doc.format == "list"
    assert doc.render() == path.read_text()
    entries = doc.get_list("")
    assert entries and all(e == e.strip() for e in entries)
    final_newline = "\n" if path.read_text().endswith("\n") else ""  # kept as the file had it
    doc.set_list("", ["car", "traffic light"])
    assert doc.render() == "car\ntraffic light" + final_newline
    assert doc.get("[1]") == "traffic light" and doc.count("") == 2
    doc.set("[0]", "bus")
    assert list(doc.leaves()) == [("[0]", "bus"), ("[1]", "traffic light")]
    with pytest.raises(UserError):
        doc.get_mapping("")


def test_list_detection_is_by_content():
    assert looks_like_list("000001\n000002\n")
    assert looks_like_list("person\ntraffic light\n")
    assert not looks_like_list("a: 1\n")
    assert not looks_like_list("")
    assert parse_spec("person\ncar\n", "txt", "c.txt").format == "list"
    assert parse_spec("a: 1\n", "txt", "c.txt").format == "prototxt"
    with pytest.raises(SpecParseError):
        parse_spec("a {\n", "txt", "c.txt")  # broken protobuf text stays an error


def test_unknown_suffix_and_format():
    with pytest.raises(UserError):
        load_spec("spec.csv")
    with pytest.raises(UserError):
        parse_spec("", "toml", "x")
