"""Spec files: load any of NVIDIA's formats into a lossless, editable document.

    doc = load_spec(path)              # .txt/.cfg (protobuf text, or a plain list), .prototxt/.pbtxt, .yaml/.yml, .json
    doc = parse_spec(text, fmt, name)  # fmt: prototxt | yaml | json | list | txt (protobuf text or plain list)
    doc.render() == text               # until something is set

See docs/contracts.md for the SpecDoc methods and the path syntax ``a.b[i].c``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tao_tui.errors import SpecParseError, UserError

if TYPE_CHECKING:
    from tao_tui.specs.prototxt import PtDocument, parse_prototxt
    from tao_tui.specs.yamlspec import JsonDoc, ListDoc, YamlDoc

# the parsers load on first use (PEP 562): tao_tui.specs.netdef, which the wizard's first frame
# needs, does not need them (~15 ms)
_WHERE = {"PtDocument": "prototxt", "parse_prototxt": "prototxt", "JsonDoc": "yamlspec",
          "ListDoc": "yamlspec", "YamlDoc": "yamlspec"}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tao_tui.specs' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"tao_tui.specs.{module}"), name)
    globals()[name] = value
    return value


@runtime_checkable
class SpecDoc(Protocol):
    format: str
    name: str

    def render(self) -> str: ...
    def get(self, path: str) -> Any: ...
    def has(self, path: str) -> bool: ...
    def set(self, path: str, value: Any) -> None: ...
    def leaves(self) -> Iterator[tuple[str, Any]]: ...
    def count(self, path: str) -> int: ...
    def get_mapping(self, path: str) -> list[tuple[str, str]]: ...
    def set_mapping(self, path: str, pairs: list[tuple[str, str]]) -> None: ...
    def get_list(self, path: str) -> list[Any]: ...
    def set_list(self, path: str, values: list[Any]) -> None: ...


SUFFIX_FORMATS = {
    ".txt": "txt",
    ".cfg": "txt",
    ".prototxt": "prototxt",
    ".pbtxt": "prototxt",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}
FORMATS = ("prototxt", "yaml", "json", "list", "txt")


def parse_spec(text: str, fmt: str, name: str = "<spec>") -> SpecDoc:
    """A document from text. ``txt`` = protobuf text, or a plain list when the text is one entry per line."""
    from tao_tui.specs.prototxt import parse_prototxt
    from tao_tui.specs.yamlspec import JsonDoc, ListDoc, YamlDoc, looks_like_list

    if fmt == "prototxt":
        return parse_prototxt(text, name)
    if fmt in ("yaml", "yml"):
        return YamlDoc(text, name)
    if fmt == "json":
        return JsonDoc(text, name)
    if fmt == "list":
        return ListDoc(text, name)
    if fmt == "txt":
        try:
            return parse_prototxt(text, name)
        except SpecParseError:
            if looks_like_list(text):
                return ListDoc(text, name)
            raise
    raise UserError(f"unknown spec format '{fmt}'", f"use one of: {', '.join(FORMATS)}", field="format")


def format_for(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise UserError(
            f"{path}: tao-tui does not read '{suffix or 'no suffix'}' spec files",
            f"use a spec with one of: {', '.join(sorted(SUFFIX_FORMATS))}",
            field="spec",
        )
    return SUFFIX_FORMATS[suffix]


def read_text(path: str | Path) -> str:
    """The file's exact text (no newline translation); SpecParseError if it is not UTF-8."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read spec {p}: {exc.strerror}", "check the path and its permissions",
                        field="spec") from None  # fmt: skip
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecParseError(str(p), line, col, "expected UTF-8 text, found a byte that is not UTF-8",
                             "save the file as UTF-8") from None  # fmt: skip


def load_spec(path: str | Path) -> SpecDoc:
    """Load a spec file; the format comes from the suffix (and, for .txt/.cfg, the content)."""
    fmt = format_for(path)
    return parse_spec(read_text(path), fmt, str(path))


def check_roundtrip(path: str | Path) -> None:
    """SpecParseError if the file does not parse; UserError if rendering it would change a byte."""
    text = read_text(path)
    doc = parse_spec(text, format_for(path), str(path))
    if doc.render() != text:
        raise UserError(f"{path}: tao-tui would not write this file back unchanged",
                        "report this file to the tao-tui developers")  # fmt: skip


__all__ = [
    "FORMATS",
    "JsonDoc",
    "ListDoc",
    "PtDocument",
    "SpecDoc",
    "YamlDoc",
    "check_roundtrip",
    "format_for",
    "load_spec",
    "parse_prototxt",
    "parse_spec",
    "read_text",
]
