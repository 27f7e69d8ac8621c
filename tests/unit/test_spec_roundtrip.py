"""Every real NVIDIA spec round-trips byte for byte; mangled specs only ever raise SpecParseError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tao_tui.errors import SpecParseError, UserError
from tao_tui.specs import check_roundtrip, format_for, load_spec, parse_spec, read_text

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference_specs"
SUFFIXES = {".txt", ".cfg", ".yaml", ".yml", ".json"}
ALL_SPECS = sorted(p for p in REF.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
PROTO_SPECS = [p for p in ALL_SPECS if p.suffix in (".txt", ".cfg") and load_spec(p).format == "prototxt"]
SEEDS = [
    REF / "detectnet_v2" / "detectnet_v2_train_resnet18_kitti.txt",
    REF / "detectnet_v2" / "detectnet_v2_inference_kitti_tlt.txt",
    REF / "faster_rcnn" / "default_spec_resnet18.txt",
    REF / "mask_rcnn" / "maskrcnn_train_resnet50.txt",
    REF / "yolo_v4" / "yolo_v4_train_resnet18_kitti.txt",
]


def _rel(p: Path) -> str:
    return str(p.relative_to(REF))


def test_fixture_set_is_complete():
    assert len(ALL_SPECS) > 200 and len(PROTO_SPECS) > 80


@pytest.mark.parametrize("path", ALL_SPECS, ids=_rel)
def test_real_spec_round_trips(path: Path):
    check_roundtrip(path)
    doc = load_spec(path)
    text = path.read_bytes().decode("utf-8")
    assert doc.render() == text
    leaves = list(doc.leaves())
    # every leaf reads back through its own path (nan aside)
    for p, v in leaves[:400]:
        got = doc.get(p)
        assert got == v or (got != got and v != v), p


@pytest.mark.parametrize("path", PROTO_SPECS, ids=_rel)
def test_real_prototxt_set_same_value_is_identity_and_edit_is_local(path: Path):
    doc = load_spec(path)
    text = doc.render()
    leaves = list(doc.leaves())
    ints = [(p, v) for p, v in leaves if isinstance(v, int) and not isinstance(v, bool)]
    if not ints:
        pytest.skip("no integer field")
    p, v = ints[-1]
    doc.set(p, v + 1)
    assert doc.get(p) == v + 1
    new_lines, old_lines = doc.render().splitlines(), text.splitlines()
    assert len(new_lines) == len(old_lines)
    assert sum(a != b for a, b in zip(new_lines, old_lines, strict=True)) == 1
    doc.set(p, v)
    assert doc.get(p) == v


def test_check_roundtrip_reports_parse_errors(tmp_path: Path):
    bad = tmp_path / "bad.txt"
    bad.write_text('model_config {\n  arch: "resnet"\n')
    with pytest.raises(SpecParseError) as err:
        check_roundtrip(bad)
    assert (err.value.line, err.value.column) == (1, 14)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(SpecParseError) as err:
        read_text(latin)
    assert (err.value.line, err.value.column) == (1, 7)
    with pytest.raises(UserError):
        check_roundtrip(tmp_path / "missing.txt")


def test_crlf_and_no_final_newline_survive(tmp_path: Path):
    f = tmp_path / "crlf.txt"
    f.write_bytes(b"a {\r\n  b: 1\r\n}\r\nc: 'x'  ")
    doc = load_spec(f)
    doc.set("a.b", 2)
    assert doc.render() == "a {\r\n  b: 2\r\n}\r\nc: 'x'  "


# ----------------------------------------------------------------------------- mutations

_SEED_TEXTS = [p.read_text() for p in SEEDS]


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(_SEED_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "truncate", "replace"]))
        pos = draw(st.integers(0, len(text)))
        if op == "delete":
            n = draw(st.integers(1, 20))
            text = text[:pos] + text[pos + n :]
        elif op == "insert":
            piece = draw(
                st.text(alphabet=st.sampled_from(list("{}<>[]:;,\"'#\\-.e0 \n\tazZ_\x00é")), max_size=6)
            )
            text = text[:pos] + piece + text[pos:]
        elif op == "truncate":
            text = text[:pos]
        else:
            raw = draw(st.binary(min_size=1, max_size=8))
            text = text[:pos] + raw.decode("utf-8", errors="replace") + text[pos + len(raw) :]
    return text


def _assert_located(err: SpecParseError, text: str) -> None:
    lines = text.split("\n")
    assert 1 <= err.line <= len(lines), (err.line, len(lines))
    assert 1 <= err.column <= len(lines[err.line - 1]) + 1, (err.line, err.column)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_prototxt_parses_or_raises_located_error(text: str):
    try:
        doc = parse_spec(text, "prototxt", "m.txt")
    except SpecParseError as err:
        _assert_located(err, text)
        return
    assert doc.render() == text
    for path, value in list(doc.leaves())[:50]:
        got = doc.get(path)
        assert got == value or (got != got and value != value)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_any_parser(raw: bytes):
    text = raw.decode("utf-8", errors="replace")
    for fmt in ("prototxt", "txt", "yaml", "json"):
        try:
            doc = parse_spec(text, fmt, "r")
        except SpecParseError as err:
            if fmt in ("prototxt", "txt", "json"):
                _assert_located(err, text)
            continue
        assert doc.render() == text


_YAML_SEED = (REF / "dino" / "train.yaml").read_text()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(_YAML_SEED)), st.integers(0, 10), st.text(max_size=5))
def test_mutated_yaml_parses_or_raises_spec_parse_error(pos: int, delete: int, insert: str):
    text = _YAML_SEED[:pos] + insert + _YAML_SEED[pos + delete :]
    try:
        doc = parse_spec(text, "yaml", "m.yaml")
    except SpecParseError:
        return
    assert doc.render() == text


def test_format_for_suffixes():
    assert (
        format_for("a.TXT") == "txt" and format_for("b.pbtxt") == "prototxt" and format_for("c.yml") == "yaml"
    )
