"""Protobuf text: lossless parse, targeted edits, block API, located errors."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest

from tao_tui.errors import SpecParseError, UserError
from tao_tui.specs import parse_spec
from tao_tui.specs.prototxt import PtDocument, parse_prototxt, quote_string

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference_specs"
DETECTNET_TRAIN = REF / "detectnet_v2" / "detectnet_v2_train_resnet18_kitti.txt"

# Every syntax form protoc's text parser accepts (and NVIDIA's files use), in one file.
ALL_FORMS = (
    "# leading comment\n"
    "random_seed: 42   \n"
    "\n"
    'model_config { arch: "resnet", num_layers: 18; }\n'
    "colon_block: {\n"
    "  a: 1 # trailing comment\n"
    "}\n"
    "angle < b: -2 >\n"
    "floats { x: 0.699999988079 y: 9.99999974738e-05 z: 1e-7 w: 0. v: .5 u: 1.5f t: -inf s: nan r: - 3 }\n"
    "ints { hex: 0x1F oct: 010 neg: -7 }\n"
    "bools { a: true b: False c: t }\n"
    "enums { algo: DBSCAN }\n"
    "lists { xs: [1, 2, 3] names: ['a', \"b\"] empty: [] msgs: [{k: 1}, <k: 2>] }\n"
    "strings {\n"
    '  esc: "tab\\there \\"q\\" back\\\\slash \\x41\\101\\n"\n'
    "  single: 'it\\'s'\n"
    "  joined: \"abc\" 'def'\n"
    '         "ghi"\n'
    "}\n"
    "[ext.pkg.name] { v: 1 }\n"
    "repeated: 1\n"
    "repeated: 2\n"
    "last: 1  "  # trailing spaces, no final newline
)


def test_all_forms_round_trip_and_values():
    doc = parse_prototxt(ALL_FORMS, "forms.txt")
    assert doc.render() == ALL_FORMS
    assert doc.get("random_seed") == 42
    assert doc.get("model_config.arch") == "resnet"
    assert doc.get("model_config.num_layers") == 18
    assert doc.get("colon_block.a") == 1
    assert doc.get("angle.b") == -2
    assert doc.get("floats.x") == pytest.approx(0.699999988079)
    assert doc.get("floats.w") == 0.0 and doc.get("floats.v") == 0.5 and doc.get("floats.u") == 1.5
    assert doc.get("floats.t") == float("-inf")
    assert doc.get("floats.s") != doc.get("floats.s")  # nan
    assert doc.get("floats.r") == -3
    assert doc.get("ints.hex") == 31 and doc.get("ints.oct") == 8 and doc.get("ints.neg") == -7
    assert doc.get("bools.a") is True and doc.get("bools.b") is False and doc.get("bools.c") == "t"
    assert doc.get("enums.algo") == "DBSCAN"
    assert doc.get_list("lists.xs") == [1, 2, 3]
    assert doc.get("lists.xs[2]") == 3
    assert doc.get_list("lists.names") == ["a", "b"]
    assert doc.count("lists.empty") == 0
    assert doc.get("lists.msgs[1].k") == 2
    assert doc.get("strings.esc") == 'tab\there "q" back\\slash AA\n'
    assert doc.get("strings.single") == "it's"
    assert doc.get("strings.joined") == "abcdefghi"
    assert doc.get("[ext.pkg.name].v") == 1
    assert doc.get_list("repeated") == [1, 2]
    assert doc.get("repeated[1]") == 2
    assert doc.get("last") == 1


def test_leaves_in_file_order_with_indices():
    doc = parse_prototxt(DETECTNET_TRAIN.read_text(), "t")
    leaves = list(doc.leaves())
    paths = [p for p, _ in leaves]
    assert paths[0] == "random_seed"
    assert ("dataset_config.target_class_mapping[3].key", "person_sitting") in leaves
    assert ("postprocessing_config.target_class_config[2].value.clustering_config.dbscan_eps",
            pytest.approx(0.230000004172)) in leaves  # fmt: skip
    # every leaf path reads back its own value
    for path, value in leaves:
        assert doc.get(path) == value


def _changed_lines(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]  # fmt: skip


def test_set_rewrites_only_that_value_in_its_style():
    text = DETECTNET_TRAIN.read_text()
    doc = parse_prototxt(text, "t")
    doc.set("training_config.batch_size_per_gpu", 8)
    doc.set("postprocessing_config.target_class_config[1].value.clustering_config.dbscan_eps", 0.25)
    doc.set("model_config.arch", 'res"net')
    doc.set(
        "postprocessing_config.target_class_config[0].value.clustering_config.clustering_algorithm", "HDBSCAN"
    )
    doc.set("augmentation_config.preprocessing.min_bbox_width", 2)  # float field keeps a float spelling
    doc.set("model_config.use_batch_norm", False)
    removed = {ln for ln in _changed_lines(text, doc.render()) if ln.startswith("-")}
    assert removed == {
        "-  batch_size_per_gpu: 4",
        "-        clustering_algorithm: DBSCAN",
        "-        dbscan_eps: 0.15000000596",
        "-    min_bbox_width: 1.0",
        "-  use_batch_norm: true",
        '-  arch: "resnet"',
    }
    added = {ln for ln in _changed_lines(text, doc.render()) if ln.startswith("+")}
    assert added == {
        "+  batch_size_per_gpu: 8",
        "+        clustering_algorithm: HDBSCAN",
        "+        dbscan_eps: 0.25",
        "+    min_bbox_width: 2.0",
        "+  use_batch_norm: false",
        '+  arch: "res\\"net"',
    }
    assert doc.get("model_config.arch") == 'res"net'


def test_set_keeps_single_quotes_and_capital_bools():
    text = "a: 'x'\nb: True\nc: L1\n"
    doc = parse_prototxt(text)
    doc.set("a", "it's")
    doc.set("b", False)
    assert doc.render() == "a: 'it\\'s'\nb: False\nc: L1\n"
    assert doc.get("a") == "it's"
    with pytest.raises(UserError):
        doc.set("c", "not an enum")  # an enum stays a bare name
    with pytest.raises(UserError):
        parse_prototxt("n: 1\n").set("n", "text")


def test_set_float_spelling_is_minimal():
    doc = parse_prototxt("lr: 5e-05\nw: 0.1\n")
    doc.set("lr", 1e-06)
    doc.set("w", 0.3)
    assert doc.render() == "lr: 1e-06\nw: 0.3\n"


def test_missing_path_and_block_errors_name_the_field():
    doc = parse_prototxt(DETECTNET_TRAIN.read_text(), "t")
    with pytest.raises(UserError) as err:
        doc.get("training_config.no_such_field")
    assert err.value.field == "training_config.no_such_field"
    with pytest.raises(UserError):
        doc.set("dataset_config.target_class_mapping[9].key", "x")
    with pytest.raises(UserError):
        doc.get("training_config")  # a block, not a value
    assert not doc.has("nope.nope") and doc.has("training_config.learning_rate")
    assert doc.count("dataset_config.target_class_mapping") == 5
    assert doc.count("dataset_config.target_class_mapping[4]") == 1
    assert doc.count("missing.thing") == 0


def test_mapping_get_and_set_use_first_entry_layout():
    text = DETECTNET_TRAIN.read_text()
    doc = parse_prototxt(text, "t")
    assert doc.get_mapping("dataset_config.target_class_mapping")[:2] == [
        ("car", "car"),
        ("cyclist", "cyclist"),
    ]
    doc.set_mapping("dataset_config.target_class_mapping", [("car", "car"), ("bus", "vehicle")])
    assert doc.get_mapping("dataset_config.target_class_mapping") == [("car", "car"), ("bus", "vehicle")]
    out = doc.render()
    assert (
        '  target_class_mapping {\n    key: "bus"\n    value: "vehicle"\n  }\n  validation_fold: 0\n' in out
    )
    # everything outside the group is untouched
    start = text.index("  target_class_mapping {")
    assert out[:start] == text[:start]
    assert out.endswith(text[text.index("  validation_fold: 0") :])


def test_set_list_repeated_lines_and_bracket_lists():
    doc = parse_prototxt('cfg {\n  t: "a"\n  t: "b"\n  other: 1\n}\nxs: [1, 2]\n')
    doc.set_list("cfg.t", ["x", "y", "z"])
    doc.set_list("xs", [5])
    assert doc.render() == 'cfg {\n  t: "x"\n  t: "y"\n  t: "z"\n  other: 1\n}\nxs: [5]\n'
    assert doc.get_list("cfg.t") == ["x", "y", "z"]


def test_block_api_remove_insert_keep_rest_identical():
    text = DETECTNET_TRAIN.read_text()
    doc = parse_prototxt(text, "t")
    blocks = doc.fields("postprocessing_config.target_class_config")
    assert [doc.child(b, "key").value for b in blocks] == ["car", "cyclist", "pedestrian"]
    cyclist = doc.block_text(blocks[1])
    assert cyclist.startswith('  target_class_config {\n    key: "cyclist"\n') and cyclist.endswith("  }\n")
    doc.remove(blocks[1])
    assert doc.render() == text.replace(cyclist, "", 1)
    # insert it back after car, dedented: it is re-indented to car's indentation
    car = doc.fields("postprocessing_config.target_class_config")[0]
    doc.insert_after(car, "\n".join(line[2:] for line in cyclist.splitlines()))
    assert doc.render() == text
    with pytest.raises(SpecParseError):
        doc.insert_after(car, "broken {")


def test_replace_group_keeps_odd_indentation_of_existing_blocks():
    text = "m {\n    entry {\n        key: 'b'\n}\n    entry {\n        key: 'g'\n}\n}\n"
    doc = parse_prototxt(text)
    fields = doc.fields("m.entry")
    doc.replace_group(fields, [doc.block_text(f) for f in fields])
    assert doc.render() == text


def test_rename_field():
    doc = parse_prototxt('t {\n  pretrain_model_path: "a"\n}\n')
    doc.rename(doc.fields("t.pretrain_model_path")[0], "pruned_model_path")
    assert doc.render() == 't {\n  pruned_model_path: "a"\n}\n'


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a {\n  b: 1\n", 1, 3, "opened at line 1, column 3"),
        ("x: 1\nouter {\n  inner {\n    b: 1\n  }\n", 2, 7, "'}'"),
        ("a 1\n", 1, 3, "expected ':' or '{'"),
        ("a: }\n", 1, 4, "expected a value"),
        ("a: 1.2.3\n", 1, 4, "expected a number"),
        ('a: "abc\n', 1, 4, 'closing " for this string'),
        ('a: "\\q"\n', 1, 5, "escape"),
        ("}\n", 1, 1, "expected a field name"),
        ("a: [1, 2\n", 1, 4, "']'"),
        ("a: -x\n", 1, 5, "number after '-'"),
        ("a: 1\n@\n", 2, 1, "unexpected character"),
        ("a < b: 1 }\n", 1, 10, "expected a field name"),
    ],
)
def test_errors_are_located(text, line, col, words):
    with pytest.raises(SpecParseError) as err:
        parse_prototxt(text, "bad.txt")
    e = err.value
    assert (e.file, e.line, e.column) == ("bad.txt", line, col), str(e)
    assert words in e.message
    assert "expected" in e.message and "found" in e.message
    assert e.fix


def test_quote_string_round_trips_through_the_parser():
    value = "a\"b'c\\d\n\te\x01é"
    for q in ("'", '"'):
        doc = parse_prototxt(f"s: {quote_string(value, q)}\n")
        assert doc.get("s") == value


def test_parse_is_fast():
    text = DETECTNET_TRAIN.read_text()
    best = min(_timed(lambda: parse_prototxt(text, "t")) for _ in range(20))
    assert best < 0.010, f"parsing the 300-line detectnet_v2 spec took {best * 1000:.2f} ms"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_parse_spec_prototxt_returns_document():
    doc = parse_spec("a: 1\n", "prototxt", "x")
    assert isinstance(doc, PtDocument) and doc.format == "prototxt" and doc.name == "x"
