"""Protobuf text format, lossless: text -> tree (with offsets) -> the same text.

The document keeps the original text. The tree only records where every field,
value and block starts and ends, so an edit splices new text into exactly one
place and every other byte (comments, blank lines, spacing, quote style, float
spellings like ``0.699999988079``) stays as it was. After each edit the text is
parsed again (a 300-line spec parses in about a millisecond), so node objects
from before an edit must not be reused.

Grammar (what protoc's text parser accepts, minus the schema):

    message  = { field }
    field    = name [":"] ( "{" message "}" | "<" message ">" | "[" items "]" | scalar ) [";" | ","]
    name     = IDENT | "[" dotted/slashed type name "]"
    scalar   = STRING { STRING } | ["-"] NUMBER | ["-"] IDENT

A scalar needs the ``:``; a block does not. Errors are always
:class:`~tao_tui.errors.SpecParseError` with a 1-based line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tao_tui.errors import SpecParseError, UserError

# ----------------------------------------------------------------------------- paths

_SEG_RE = re.compile(r"(\[[^\]\d][^\]]*\]|[^.\[\]]+)((?:\[\d+\])*)")
_ROOT_IDX_RE = re.compile(r"((?:\[\d+\])+)(?:\.|\Z)")


def parse_path(path: str) -> list[tuple[str, list[int]]]:
    """``a.b[2].c`` -> [("a", []), ("b", [2]), ("c", [])]. ``[x.y]`` is one (extension) name."""
    if not path:
        return []
    out: list[tuple[str, list[int]]] = []
    pos = 0
    m = _ROOT_IDX_RE.match(path)  # "[0].name": a document whose top level is a list
    if m:
        out.append(("", [int(x) for x in re.findall(r"\[(\d+)\]", m.group(1))]))
        pos = m.end()
        if pos == len(path):
            return out
    while True:
        m = _SEG_RE.match(path, pos)
        if not m:
            raise UserError(
                f"'{path}' is not a valid spec path", "use dotted names like a.b[1].c", field=path
            )
        idx = [int(x) for x in re.findall(r"\[(\d+)\]", m.group(2))]
        out.append((m.group(1), idx))
        pos = m.end()
        if pos == len(path):
            return out
        if path[pos] != ".":
            raise UserError(
                f"'{path}' is not a valid spec path", "use dotted names like a.b[1].c", field=path
            )
        pos += 1


def join_path(prefix: str, name: str, index: int | None = None) -> str:
    p = f"{prefix}.{name}" if prefix else name
    return p if index is None else f"{p}[{index}]"


# ----------------------------------------------------------------------------- tree


@dataclass(eq=False)
class PtValue:
    """One scalar: ``kind`` is string | number | ident; ``start``/``end`` span its text."""

    kind: str
    start: int
    end: int
    value: Any
    raw: str
    quote: str | None = None


@dataclass(eq=False)
class PtMessage:
    """A block ``{ ... }`` / ``< ... >``; the root has ``open == ""`` and spans the file."""

    start: int
    end: int
    open: str
    fields: list[PtField] = field(default_factory=list)


@dataclass(eq=False)
class PtList:
    """``[a, b]`` or ``[{...}, {...}]``."""

    start: int
    end: int
    items: list[PtValue | PtMessage] = field(default_factory=list)


@dataclass(eq=False)
class PtField:
    """``name[:] value[;|,]``: ``start`` = name, ``end`` = after the value, ``sep_end`` = after a separator."""

    name: str
    start: int
    name_end: int
    end: int
    sep_end: int
    colon: bool
    value: PtValue | PtMessage | PtList | None
    parent: PtMessage | None = None


# ----------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
     (?P<ws>[ \t\r\n\f\v\ufeff]+)
    |(?P<comment>\#[^\n]*)
    |(?P<str>"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*')
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<num>(?:[0-9]|\.[0-9])[0-9A-Za-z_.+-]*)
    |(?P<punct>[{}<>\[\]:,;/.-])
    |(?P<bad>.)
    """,
    re.X | re.S,
)
_INT_RE = re.compile(r"(?:0[xX][0-9a-fA-F]+|[0-9]+)\Z")
_FLOAT_RE = re.compile(r"(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)[fF]?\Z")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ESC_RE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
               "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip
_EOF = "eof"
_TRUE = {"true", "True"}
_FALSE = {"false", "False"}


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _describe(text: str, kind: str, start: int, end: int) -> str:
    if kind == _EOF:
        return "end of file"
    tok = text[start:end]
    if len(tok) > 30:
        tok = tok[:27] + "..."
    return repr(tok)


class _Parser:
    def __init__(self, text: str, name: str):
        self.text = text
        self.name = name
        self.toks: list[tuple[str, int, int]] = []
        self._lex()
        self.i = 0

    # errors ------------------------------------------------------------------
    def error(self, offset: int, message: str, fix: str | None = None) -> SpecParseError:
        line, col = line_col(self.text, offset)
        return SpecParseError(self.name, line, col, message, fix or "fix the spec text at that place")

    def expected(self, what: str, tok: tuple[str, int, int]) -> SpecParseError:
        kind, s, e = tok
        return self.error(s, f"expected {what}, found {_describe(self.text, kind, s, e)}")

    # lexer -------------------------------------------------------------------
    def _lex(self) -> None:
        text = self.text
        append = self.toks.append
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            if kind == "ws" or kind == "comment":
                continue
            s, e = m.span()
            if kind == "punct":
                append((text[s], s, e))
            elif kind == "bad":
                ch = text[s]
                if ch in "\"'":
                    raise self.error(s, f"expected a closing {ch} for this string, found the end of the line")
                raise self.error(
                    s, f"expected a field name, value or punctuation, found unexpected character {ch!r}"
                )
            else:
                append((kind, s, e))  # type: ignore[arg-type]
        append((_EOF, len(text), len(text)))

    # parser ------------------------------------------------------------------
    def parse(self) -> PtMessage:
        toks = self.toks
        root = PtMessage(0, len(self.text), "")
        # stack frames: [kind, node, field, closer, open_offset, state]
        #  kind "msg": node=PtMessage; kind "list": node=PtList, state 0=need item/close, 1=need comma/close
        stack: list[list[Any]] = [["msg", root, None, None, 0, 0]]
        while True:
            frame = stack[-1]
            tok = toks[self.i]
            kind, s, e = tok
            if frame[0] == "list":
                lst: PtList = frame[1]
                if kind == _EOF:
                    line, col = line_col(self.text, frame[4])
                    raise self.error(frame[4], f"expected ']' to close the list opened at line {line}, "
                                               f"column {col}, found end of file")  # fmt: skip
                if kind == "]" and (frame[5] == 1 or not lst.items):
                    self.i += 1
                    lst.end = e
                    stack.pop()
                    self._finish_field(frame[2], e)
                    continue
                if frame[5] == 1:
                    if kind == ",":
                        self.i += 1
                        frame[5] = 0
                        continue
                    raise self.expected("',' or ']'", tok)
                if kind in ("{", "<"):
                    self.i += 1
                    msg = PtMessage(s, e, kind)
                    lst.items.append(msg)
                    frame[5] = 1
                    stack.append(["msg", msg, None, "}" if kind == "{" else ">", s, 0])
                    continue
                lst.items.append(self._scalar())
                frame[5] = 1
                continue

            msg = frame[1]
            closer = frame[3]
            if kind == _EOF:
                if closer is None:
                    return root
                line, col = line_col(self.text, frame[4])
                fname = frame[2].name if frame[2] is not None else "a list item"
                raise self.error(
                    frame[4],
                    f"expected '{closer}' to close the block '{fname}' opened at line {line}, column {col}, "
                    "found end of file",
                    "add the missing closing brace",
                )
            if kind == closer:
                self.i += 1
                msg.end = e
                stack.pop()
                if frame[2] is not None:
                    self._finish_field(frame[2], e)
                continue
            # a field
            fld = self._field_name(msg)
            tok = toks[self.i]
            kind, s, e = tok
            if kind == ":":
                fld.colon = True
                self.i += 1
                tok = toks[self.i]
                kind, s, e = tok
            if kind in ("{", "<"):
                self.i += 1
                sub = PtMessage(s, e, kind)
                fld.value = sub
                stack.append(["msg", sub, fld, "}" if kind == "{" else ">", s, 0])
                continue
            if kind == "[" and fld.colon:
                self.i += 1
                lst = PtList(s, e)
                fld.value = lst
                stack.append(["list", lst, fld, "]", s, 0])
                continue
            if not fld.colon:
                raise self.expected(f"':' or '{{' after field name '{fld.name}'", tok)
            fld.value = self._scalar()
            self._finish_field(fld, fld.value.end)

    def _field_name(self, msg: PtMessage) -> PtField:
        toks = self.toks
        kind, s, e = toks[self.i]
        if kind == "ident":
            self.i += 1
            name = self.text[s:e]
        elif kind == "[":
            # extension or Any type name: [a.b.c] or [type.googleapis.com/a.B]
            j = self.i + 1
            parts = []
            while toks[j][0] in ("ident", ".", "/"):
                parts.append(self.text[toks[j][1] : toks[j][2]])
                j += 1
            if not parts or toks[j][0] != "]" or parts[0] in (".", "/") or parts[-1] in (".", "/"):
                raise self.expected("an extension name like [package.name]", toks[j])
            e = toks[j][2]
            self.i = j + 1
            name = "[" + "".join(parts) + "]"
        else:
            closer = "a field name"
            raise self.expected(closer, toks[self.i])
        fld = PtField(name, s, e, e, e, False, None, msg)
        msg.fields.append(fld)
        return fld

    def _finish_field(self, fld: PtField, end: int) -> None:
        fld.end = fld.sep_end = end
        kind, s, e = self.toks[self.i]
        if kind in (",", ";"):
            self.i += 1
            fld.sep_end = e

    def _scalar(self) -> PtValue:
        toks = self.toks
        text = self.text
        kind, s, e = toks[self.i]
        if kind == "str":
            parts = []
            end = e
            while toks[self.i][0] == "str":
                _, ps, pe = toks[self.i]
                parts.append(self._decode(ps, pe))
                end = pe
                self.i += 1
            return PtValue("string", s, end, "".join(parts), text[s:end], text[s])
        neg = False
        start = s
        if kind == "-":
            neg = True
            self.i += 1
            kind, s, e = toks[self.i]
            if kind not in ("num", "ident"):
                raise self.expected("a number after '-'", toks[self.i])
        if kind == "num":
            self.i += 1
            raw = text[s:e]
            value = self._number(raw, s)
            return PtValue("number", start, e, -value if neg else value, text[start:e])
        if kind == "ident":
            self.i += 1
            raw = text[s:e]
            low = raw.lower()
            if low in ("inf", "infinity"):
                value: Any = float("inf")
            elif low == "nan":
                value = float("nan")
            elif neg:
                raise self.error(s, f"expected a number after '-', found {raw!r}")
            elif raw in _TRUE:
                value = True
            elif raw in _FALSE:
                value = False
            else:
                value = raw
            if neg:
                value = -value
            return PtValue("ident", start, e, value, text[start:e])
        raise self.expected("a value (number, string or name)", toks[self.i])

    def _number(self, raw: str, offset: int) -> int | float:
        if _INT_RE.match(raw):
            if raw[:2] in ("0x", "0X"):
                return int(raw, 16)
            if len(raw) > 1 and raw[0] == "0" and all(c in "01234567" for c in raw):
                return int(raw, 8)
            return int(raw)
        if _FLOAT_RE.match(raw):
            return float(raw.rstrip("fF"))
        raise self.error(offset, f"expected a number, found {raw!r}")

    def _decode(self, s: int, e: int) -> str:
        body = self.text[s + 1 : e - 1]
        if "\\" not in body:
            return body
        out = bytearray()
        pos = 0
        for m in _ESC_RE.finditer(body):
            out += body[pos : m.start()].encode("utf-8")
            pos = m.end()
            octal, hx, u4, u8, simple = m.groups()
            if octal is not None:
                n = int(octal, 8)
                if n > 255:
                    raise self.error(
                        s + 1 + m.start(), f"expected an octal escape up to \\377, found '\\{octal}'"
                    )
                out.append(n)
            elif hx is not None:
                out.append(int(hx, 16))
            elif u4 is not None or u8 is not None:
                cp = int(u4 or u8, 16)
                if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                    raise self.error(
                        s + 1 + m.start(), f"expected a valid unicode escape, found '{m.group(0)}'"
                    )
                out += chr(cp).encode("utf-8", "surrogatepass")
            elif simple in _SIMPLE_ESC:
                out += _SIMPLE_ESC[simple].encode("utf-8")
            else:
                raise self.error(s + 1 + m.start(), f"expected a valid escape (\\n \\t \\\\ \\\" \\xHH ...), "
                                                    f"found '\\{simple}'")  # fmt: skip
        out += body[pos:].encode("utf-8")
        return out.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- formatting


def quote_string(value: str, quote: str = '"') -> str:
    """A protobuf text string literal in ``quote`` quotes (C escapes for specials)."""
    out = [quote]
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    out.append(quote)
    return "".join(out)


def format_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _looks_float(like: PtValue) -> bool:
    r = like.raw.lstrip("-").lower()
    if like.kind == "ident":
        return r in ("inf", "infinity", "nan")
    return like.kind == "number" and not r.startswith("0x") and any(c in r for c in ".ef")


def format_value(value: Any, like: PtValue | None, where: str) -> str:
    """Text for ``value`` in the style of the value it replaces (``like``)."""
    if isinstance(value, bool):
        if like is not None and like.kind == "ident" and like.raw[:1] in "TF":
            return "True" if value else "False"
        return "true" if value else "false"
    if isinstance(value, int):
        if like is not None and _looks_float(like):
            return format_float(float(value))
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        if like is not None and like.kind == "ident":
            if not _IDENT_RE.match(value):
                raise UserError(
                    f"'{value}' is not a valid enum name for {where}",
                    f"use a bare name like {like.raw} (letters, digits, _)",
                    field=where,
                )
            return value
        if like is not None and like.kind == "number":
            raise UserError(f"{where} takes a number, not '{value}'", "give a number", field=where)
        return quote_string(value, like.quote if like is not None and like.quote else '"')
    raise UserError(f"{where}: cannot write a value of type {type(value).__name__}",
                    "give a number, string or true/false", field=where)  # fmt: skip


# ----------------------------------------------------------------------------- document


def _occurrences(msg: PtMessage, name: str) -> list[tuple[PtValue | PtMessage, PtField]]:
    out: list[tuple[PtValue | PtMessage, PtField]] = []
    for f in msg.fields:
        if f.name == name:
            if isinstance(f.value, PtList):
                out.extend((it, f) for it in f.value.items)
            elif f.value is not None:
                out.append((f.value, f))
    return out


class PtDocument:
    """A protobuf-text spec. Implements the SpecDoc protocol plus a block-level tree API."""

    format = "prototxt"

    def __init__(self, text: str, name: str = "<spec>"):
        self.name = name
        self.text = text
        self.root = _Parser(text, name).parse()

    # ---------------------------------------------------------------- internals
    def _reparse(self, text: str) -> None:
        root = _Parser(text, self.name).parse()
        self.text, self.root = text, root

    def _apply(self, edits: list[tuple[int, int, str]]) -> None:
        text = self.text
        last = len(text) + 1
        for s, e, new in sorted(edits, key=lambda x: x[0], reverse=True):
            if e > last:
                raise ValueError("overlapping edits")  # a bug in the caller, not a user error
            text = text[:s] + new + text[e:]
            last = s
        self._reparse(text)

    def _missing(self, path: str, what: str = "is not in this spec") -> UserError:
        return UserError(f"{path} {what} ({self.name})",
                         "check the field name and index against the spec file", field=path)  # fmt: skip

    def _walk(self, path: str) -> tuple[PtMessage, str, list[int]] | None:
        """The message holding the last segment, the last name and its indices; None if absent."""
        segs = parse_path(path)
        if not segs:
            return None
        msg = self.root
        for name, idx in segs[:-1]:
            occ = _occurrences(msg, name)
            i = idx[0] if idx else 0
            if len(idx) > 1 or i >= len(occ) or not isinstance(occ[i][0], PtMessage):
                return None
            msg = occ[i][0]  # type: ignore[assignment]
        name, idx = segs[-1]
        if len(idx) > 1:
            return None
        return msg, name, idx

    def node(self, path: str) -> PtValue | PtMessage | None:
        """The scalar or block at ``path`` (None if absent)."""
        if path == "":
            return self.root
        w = self._walk(path)
        if w is None:
            return None
        msg, name, idx = w
        occ = _occurrences(msg, name)
        i = idx[0] if idx else 0
        return occ[i][0] if i < len(occ) else None

    def _value(self, path: str) -> PtValue:
        node = self.node(path)
        if node is None:
            raise self._missing(path)
        if not isinstance(node, PtValue):
            raise UserError(f"{path} is a block, not a single value ({self.name})",
                            "name a field inside the block", field=path)  # fmt: skip
        return node

    # ---------------------------------------------------------------- SpecDoc
    def render(self) -> str:
        return self.text

    def get(self, path: str) -> Any:
        return self._value(path).value

    def has(self, path: str) -> bool:
        try:
            return self.node(path) is not None
        except UserError:
            return False

    def set(self, path: str, value: Any) -> None:
        node = self._value(path)
        self._apply([(node.start, node.end, format_value(value, node, path))])

    def value_nodes(self) -> Iterator[tuple[str, PtValue]]:
        """Every scalar as (path, node), in file order."""
        out: list[tuple[str, PtValue]] = []
        # iterative pre-order walk (no recursion limit on deep nesting); children pushed in reverse
        pending: list[tuple[str, PtValue | PtMessage]] = [("", self.root)]
        while pending:
            prefix, node = pending.pop()
            if isinstance(node, PtValue):
                out.append((prefix, node))
                continue
            counts: dict[str, int] = {}
            for f in node.fields:
                n = len(f.value.items) if isinstance(f.value, PtList) else 1
                counts[f.name] = counts.get(f.name, 0) + n
            seen: dict[str, int] = {}
            children: list[tuple[str, PtValue | PtMessage]] = []
            for f in node.fields:
                items = f.value.items if isinstance(f.value, PtList) else [f.value]
                for it in items:
                    k = seen.get(f.name, 0)
                    seen[f.name] = k + 1
                    p = join_path(prefix, f.name, k if counts[f.name] > 1 else None)
                    children.append((p, it))  # type: ignore[arg-type]
            pending.extend(reversed(children))
        return iter(out)

    def leaves(self) -> Iterator[tuple[str, Any]]:
        for path, node in self.value_nodes():
            yield path, node.value

    def count(self, path: str) -> int:
        try:
            w = self._walk(path)
        except UserError:
            return 0
        if w is None:
            return 0
        msg, name, idx = w
        n = len(_occurrences(msg, name))
        if idx:
            return 1 if idx[0] < n else 0
        return n

    def get_mapping(self, path: str) -> list[tuple[str, str]]:
        out = []
        for f in self.fields(path):
            items = f.value.items if isinstance(f.value, PtList) else [f.value]
            for it in items:
                if not isinstance(it, PtMessage):
                    raise UserError(f"{path} is not a key/value group", "name a repeated block", field=path)
                pair = []
                for key in ("key", "value"):
                    occ = _occurrences(it, key)
                    if not occ or not isinstance(occ[0][0], PtValue):
                        raise UserError(f"{path} entries have no scalar '{key}'",
                                        "name a repeated key/value block", field=path)  # fmt: skip
                    v = occ[0][0]
                    pair.append(v.value if isinstance(v.value, str) else v.raw)
                out.append((pair[0], pair[1]))
        return out

    def set_mapping(self, path: str, pairs: list[tuple[str, str]] | dict[str, str]) -> None:
        pairs = list(pairs.items()) if isinstance(pairs, dict) else [tuple(p) for p in pairs]
        fields = self.fields(path)
        if not fields:
            raise self._missing(path, "has no entry to copy the layout from")
        self.get_mapping(path)  # checks the shape
        template = self.block_text(fields[0])
        last = path.rsplit(".", 1)[-1].split("[")[0]
        texts = []
        for k, v in pairs:
            snip = PtDocument(template, f"{self.name}:{path}")
            snip.set(f"{last}.key", k)
            snip.set(f"{last}.value", v)
            texts.append(snip.text)
        self.replace_group(fields, texts)

    def get_list(self, path: str) -> list[Any]:
        w = self._walk(path)
        if w is None:
            raise self._missing(path)
        msg, name, idx = w
        occ = _occurrences(msg, name)
        if idx:
            occ = occ[idx[0] : idx[0] + 1]
        if not occ:
            raise self._missing(path)
        if any(not isinstance(it, PtValue) for it, _ in occ):
            raise UserError(f"{path} holds blocks, not values", "name a repeated value field", field=path)
        return [it.value for it, _ in occ]  # type: ignore[union-attr]

    def set_list(self, path: str, values: list[Any]) -> None:
        self.get_list(path)  # shape check
        fields = self.fields(path)
        first = fields[0]
        if len(fields) == 1 and isinstance(first.value, PtList):
            lst = first.value
            like = lst.items[0] if lst.items else None
            body = ", ".join(format_value(v, like, path) for v in values)  # type: ignore[arg-type]
            self._apply([(lst.start, lst.end, f"[{body}]")])
            return
        if any(isinstance(f.value, PtList) for f in fields):
            raise UserError(
                f"{path} mixes [a, b] lists and repeated lines", "edit the spec by hand", field=path
            )
        template = self.block_text(first)
        texts = []
        like = first.value
        for v in values:
            snip = PtDocument(template, f"{self.name}:{path}")
            snip._apply([(snip.root.fields[0].value.start, snip.root.fields[0].value.end,  # type: ignore[union-attr]
                          format_value(v, like, path))])  # type: ignore[arg-type]  # fmt: skip
            texts.append(snip.text)
        if texts:
            self.replace_group(fields, texts)
        else:
            self.remove(fields)

    # ---------------------------------------------------------------- block API
    def fields(self, path: str) -> list[PtField]:
        """Every field occurrence named by the last segment of ``path`` (its index is ignored), in order."""
        w = self._walk(path)
        if w is None:
            return []
        msg, name, _ = w
        return [f for f in msg.fields if f.name == name]

    def child(self, block: PtField | PtMessage, name: str) -> PtValue | PtMessage | None:
        """The first ``name`` inside a block field (or message)."""
        msg = block.value if isinstance(block, PtField) else block
        if not isinstance(msg, PtMessage):
            return None
        occ = _occurrences(msg, name)
        return occ[0][0] if occ else None

    def span(self, fld: PtField) -> tuple[int, int, bool]:
        """Where ``fld`` lives: whole lines (indent .. newline) when alone on them, else its own text."""
        text = self.text
        s, e = fld.start, fld.sep_end
        ls = text.rfind("\n", 0, s) + 1
        if text[ls:s].strip() == "":
            le = text.find("\n", e)
            le = len(text) if le == -1 else le + 1
            rest = text[e:le].strip()
            if rest == "" or rest.startswith("#"):
                return ls, le, True
        return s, e, False

    def indent_of(self, fld: PtField) -> str:
        ls = self.text.rfind("\n", 0, fld.start) + 1
        pre = self.text[ls : fld.start]
        return pre if pre.strip() == "" else ""

    def block_text(self, fld: PtField) -> str:
        """The text of a field: its whole lines (with indentation and newline) when it has them alone."""
        s, e, _ = self.span(fld)
        return self.text[s:e]

    def _fit(self, text: str, indent: str, whole: bool) -> str:
        if not whole:
            return " ".join(line.strip() for line in text.strip().splitlines())
        lines = text.splitlines(keepends=True)
        first = next((ln for ln in lines if ln.strip()), "")
        ind0 = first[: len(first) - len(first.lstrip(" \t"))]
        out = []
        for ln in lines:
            if ln.strip() and ln.startswith(ind0):
                ln = indent + ln[len(ind0) :]
            out.append(ln)
        res = "".join(out)
        return res if res.endswith("\n") else res + "\n"

    def _check_snippet(self, text: str) -> None:
        PtDocument(text, f"{self.name} (inserted text)")

    def replace_group(self, fields: list[PtField], texts: list[str]) -> None:
        """Replace the fields (all of one repeated group) by ``texts``, placed where the first one was."""
        if not fields:
            raise ValueError("replace_group needs at least one field")
        for t in texts:
            self._check_snippet(t)
        s0, e0, whole = self.span(fields[0])
        indent = self.indent_of(fields[0])
        if whole:
            new = "".join(self._fit(t, indent, True) for t in texts)
            if not self.text[s0:e0].endswith("\n") and new.endswith("\n"):
                new = new[:-1]
        else:
            new = " ".join(self._fit(t, indent, False) for t in texts)
        edits = [(s0, e0, new)]
        for f in fields[1:]:
            s, e, _ = self.span(f)
            edits.append((s, e, ""))
        self._apply(edits)

    def remove(self, fields: list[PtField] | PtField) -> None:
        """Delete fields (their whole lines when they stand alone on them)."""
        if isinstance(fields, PtField):
            fields = [fields]
        self._apply([(s, e, "") for s, e, _ in (self.span(f) for f in fields)])

    def insert_after(self, fld: PtField, text: str) -> None:
        """Insert a field (``text``, any indentation) right after ``fld``, at ``fld``'s indentation."""
        self._check_snippet(text)
        s, e, whole = self.span(fld)
        if whole:
            new = self._fit(text, self.indent_of(fld), True)
            if not self.text[s:e].endswith("\n"):
                new = "\n" + new.rstrip("\n")
            self._apply([(e, e, new)])
        else:
            self._apply([(fld.sep_end, fld.sep_end, " " + self._fit(text, "", False))])

    def rename(self, fld: PtField, new_name: str) -> None:
        """Rename a field, keeping its value and layout."""
        if not _IDENT_RE.match(new_name):
            raise UserError(f"'{new_name}' is not a field name", "use letters, digits and _")
        self._apply([(fld.start, fld.name_end, new_name)])


def parse_prototxt(text: str, name: str = "<spec>") -> PtDocument:
    """Parse protobuf text; raises SpecParseError (file:line:col) on malformed input."""
    return PtDocument(text, name)
