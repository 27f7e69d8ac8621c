"""YAML, JSON and plain-list spec documents, lossless.

Every document keeps its original text: ``render()`` of an unchanged document is
the file byte for byte (ruamel's own dump would re-indent many of NVIDIA's
files). An edit replaces only the text of the value it changes, found through
the parser's start/end marks (ruamel ``compose`` for YAML, a small span walker
for JSON); the result is parsed again and compared with the expected data.
Only if that check fails (an odd YAML construct) is the YAML re-emitted by
ruamel's round-trip dumper, which still keeps key order and comments.

Plain-list files (``classmap.txt``, ``val.txt``: one entry per line) are a
``list`` document: ``get_list("")`` / ``set_list("", values)``.
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from tao_tui.errors import SpecParseError, UserError
from tao_tui.specs.prototxt import join_path, line_col, parse_path

MAX_SPEC_CHARS = 4_000_000  # NVIDIA's specs are a few KB; this bounds time and memory of every command
MAX_EXPANDED_NODES = 200_000

# ----------------------------------------------------------------------------- shared data helpers


def _plain(data: Any) -> Any:
    """ruamel round-trip objects -> plain dict / list / int / float / str / bool / None."""
    if isinstance(data, dict):
        return {_plain(k): _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    if isinstance(data, str):
        return str(data)
    if hasattr(data, "value") and type(data).__name__ == "TaggedScalar":
        return str(data.value)
    return data


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True, and nan == nan."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _find_key(mapping: dict, name: str) -> Any:
    if name in mapping:
        return name
    for k in mapping:
        if str(k) == name or (isinstance(k, bool) and str(k).lower() == name):
            return k
    raise KeyError(name)


class _DataDoc:
    """Path handling shared by YAML and JSON documents (data = plain Python)."""

    format = "data"
    name: str
    text: str

    def __init__(self, text: str, name: str = "<spec>"):
        self.name = name
        self.text = text
        self.data = self._load(text)

    def _load(self, text: str) -> Any:
        raise NotImplementedError

    def _data(self) -> Any:
        return self.data

    def _missing(self, path: str, what: str = "is not in this spec") -> UserError:
        return UserError(f"{path} {what} ({self.name})",
                         "check the key names and list indices against the spec file", field=path)  # fmt: skip

    def _locate(self, path: str) -> list[Any]:
        """Concrete keys/indices for ``path`` in the data; KeyError/IndexError/TypeError if absent."""
        cur = self._data()
        keys: list[Any] = []
        segs = parse_path(path)
        pos = 0
        while pos < len(segs):
            name, idx = segs[pos]
            if name == "" and pos == 0:  # top-level list
                for i in idx:
                    if not isinstance(cur, list):
                        raise IndexError(i)
                    cur = cur[i]
                    keys.append(i)
                pos += 1
                continue
            if not isinstance(cur, dict):
                raise KeyError(name)
            try:
                k = _find_key(cur, name)
                pos += 1
            except KeyError:
                # keys that contain dots ("train.model.path" in TAO's API schemas): the longest match
                for end in range(len(segs), pos + 1, -1):
                    if any(segs[j][1] for j in range(pos, end - 1)):
                        continue
                    dotted = ".".join(n for n, _ in segs[pos:end])
                    if dotted in cur:
                        k, idx, pos = dotted, segs[end - 1][1], end
                        break
                else:
                    raise
            keys.append(k)
            cur = cur[k]
            for i in idx:
                if not isinstance(cur, list):
                    raise IndexError(i)
                cur = cur[i]
                keys.append(i)
        return keys

    def _at(self, path: str) -> Any:
        try:
            keys = self._locate(path)
        except (KeyError, IndexError, TypeError):
            raise self._missing(path) from None
        cur = self._data()
        for k in keys:
            cur = cur[k]
        return cur

    # ---------------------------------------------------------------- SpecDoc
    def render(self) -> str:
        return self.text

    def has(self, path: str) -> bool:
        try:
            self._locate(path)
            return True
        except (KeyError, IndexError, TypeError, UserError):
            return False

    def get(self, path: str) -> Any:
        v = self._at(path)
        if isinstance(v, (dict, list)):
            raise UserError(f"{path} is a block, not a single value ({self.name})",
                            "name a key inside it", field=path)  # fmt: skip
        return _plain(v)

    def count(self, path: str) -> int:
        if not self.has(path):
            return 0
        v = self._at(path)
        return len(v) if isinstance(v, list) else 1

    def leaves(self) -> Iterator[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        stack: list[tuple[str, Any]] = [("", self._data())]
        while stack:
            prefix, v = stack.pop()
            if isinstance(v, dict):
                stack.extend(reversed([(join_path(prefix, str(k)), c) for k, c in v.items()]))
            elif isinstance(v, list):
                stack.extend(reversed([(f"{prefix}[{i}]", c) for i, c in enumerate(v)]))
            elif prefix:
                out.append((prefix, _plain(v)))
        return iter(out)

    def get_list(self, path: str) -> list[Any]:
        v = self._at(path)
        if not isinstance(v, list):
            raise UserError(f"{path} is not a list ({self.name})", "name a list in the spec", field=path)
        return _plain(v)

    def get_mapping(self, path: str) -> list[tuple[str, str]]:
        v = _plain(self._at(path))
        if isinstance(v, dict):
            return [(str(k), str(x)) for k, x in v.items()]
        if isinstance(v, list) and all(isinstance(x, dict) and len(x) == 1 for x in v):
            return [(str(k), str(x)) for d in v for k, x in d.items()]
        raise UserError(f"{path} is not a mapping ({self.name})", "name a key: value block", field=path)

    def set(self, path: str, value: Any) -> None:
        old = self._at(path)
        if isinstance(old, (dict, list)):
            raise UserError(f"{path} is a block, not a single value ({self.name})",
                            "name a key inside it", field=path)  # fmt: skip
        if isinstance(value, (dict, list)):
            raise UserError(f"{path} takes a single value", "use set_list / set_mapping", field=path)
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(old, float):
            value = float(value)  # keep a float field a float (2 -> 2.0)
        self._replace(path, value)

    def set_list(self, path: str, values: list[Any]) -> None:
        self.get_list(path)
        self._replace(path, list(values))

    def set_mapping(self, path: str, pairs: list[tuple[str, str]] | dict[str, str]) -> None:
        old = _plain(self._at(path))
        pairs = list(pairs.items()) if isinstance(pairs, dict) else [tuple(p) for p in pairs]
        if isinstance(old, dict):
            self._replace(path, {k: v for k, v in pairs})
        elif isinstance(old, list):
            self._replace(path, [{k: v} for k, v in pairs])
        else:
            raise UserError(f"{path} is not a mapping ({self.name})", "name a key: value block", field=path)

    def _expected(self, path: str, value: Any) -> Any:
        data = copy.deepcopy(_plain(self._data()))
        keys = self._locate(path)
        cur = data
        for k in keys[:-1]:
            cur = cur[_plain(k)] if isinstance(cur, dict) else cur[k]
        last = keys[-1]
        cur[_plain(last) if isinstance(cur, dict) else last] = _plain(value)
        return data

    def _replace(self, path: str, value: Any) -> None:
        raise NotImplementedError


# ----------------------------------------------------------------------------- YAML


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.allow_duplicate_keys = False
    y.width = 4096
    return y


_PLAIN_FLOAT_RE = re.compile(r"-?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?\Z")


def _yaml_float(v: float) -> str:
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    r = repr(float(v))
    if not _PLAIN_FLOAT_RE.match(r):  # 1e-05 -> 1.0e-05 (YAML 1.1 readers need the dot)
        mant, _, exp = r.partition("e")
        r = (mant if "." in mant else mant + ".0") + ("e" + exp if exp else "")
    return r


def _plain_ok(s: str) -> bool:
    """True if ``s`` can be written unquoted: both YAML 1.2 (ruamel) and 1.1 (PyYAML, used by TAO's
    OmegaConf/Hydra) read it back as the same string (so ``yes``, ``1e5``, ``null``, ``a: b`` get quotes)."""
    if not s or s != s.strip() or "\n" in s or s.startswith("#"):
        return False
    import yaml as pyyaml

    try:
        return _plain(_yaml().load(f"k: {s}\n")) == {"k": s} and pyyaml.safe_load(f"k: {s}\n") == {"k": s}
    except Exception:  # does not parse unquoted
        return False


class YamlDoc(_DataDoc):
    format = "yaml"

    def _error(self, exc: Exception) -> SpecParseError:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None)
        context = getattr(exc, "context", None)
        msg = " ".join(x for x in (context, problem) if x) or str(exc).splitlines()[0]
        return SpecParseError(self.name, line, col, f"invalid YAML: {msg}", "fix the YAML at that place")

    def _load(self, text: str) -> Any:
        if len(text) > MAX_SPEC_CHARS:
            raise SpecParseError(self.name, 1, 1, f"the file has {len(text):,} characters; a spec has at most "
                                 f"{MAX_SPEC_CHARS:,}", "check it is the right file (TAO's specs are a few KB)")
        try:
            if "*" in text:  # an alias is possible: refuse one that multiplies the document
                self._check_expansion(_yaml().compose(text))
            return _yaml().load(text)
        except SpecParseError:
            raise
        except RecursionError:
            raise SpecParseError(
                self.name, 1, 1, "invalid YAML: nested too deeply", "simplify the file"
            ) from None
        except Exception as exc:  # ruamel raises YAMLError subclasses, and other types on odd input
            raise self._error(exc) from None

    def _check_expansion(self, root: Any) -> None:
        """SpecParseError when aliases (``*name``) expand the document past MAX_EXPANDED_NODES values (a
        500-byte "billion laughs" would grow to gigabytes in ``spec show``); counted over the node graph,
        each shared node once, so the check itself stays small."""
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        sizes: dict[int, int] = {}

        def size(node: Any) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            sizes[key] = 1  # a cycle counts once
            if isinstance(node, MappingNode):
                total = 1 + sum(size(k) + size(v) for k, v in node.value)
            elif isinstance(node, SequenceNode):
                total = 1 + sum(size(v) for v in node.value)
            else:
                total = 1
            sizes[key] = min(total, MAX_EXPANDED_NODES + 1)
            return sizes[key]

        if root is not None and size(root) > MAX_EXPANDED_NODES:
            raise SpecParseError(self.name, 1, 1, f"YAML aliases (*name) expand this file past "
                                 f"{MAX_EXPANDED_NODES:,} values", "write the values out; TAO's specs use no aliases")

    # ---------------------------------------------------------------- edits
    def _node(self, path: str):
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        node = _yaml().compose(self.text)
        for key in self._locate(path):
            if isinstance(node, SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                continue
            if not isinstance(node, MappingNode):
                raise self._missing(path)
            found = [v for k, v in node.value if getattr(k, "value", None) == str(key)]
            if not found:
                raise self._missing(path)
            node = found[-1]
        return node

    def _candidates(self, node, value: Any) -> list[str]:
        from ruamel.yaml.nodes import ScalarNode

        style = node.style if isinstance(node, ScalarNode) else None
        raw = node.value if isinstance(node, ScalarNode) else ""
        if value is None:
            return ["null"]
        if isinstance(value, bool):
            if raw in ("True", "False"):
                return ["True" if value else "False"]
            return ["true" if value else "false"]
        if isinstance(value, int):
            if isinstance(node, ScalarNode) and node.tag.endswith(":float"):
                return [_yaml_float(float(value)), str(value)]
            return [str(value)]
        if isinstance(value, float):
            return [_yaml_float(value)]
        if isinstance(value, str):
            dq = json.dumps(value, ensure_ascii=False)
            if style == "'" and "\n" not in value:
                return ["'" + value.replace("'", "''") + "'", dq]
            if style == '"':
                return [dq]
            return [value, dq] if _plain_ok(value) else [dq]
        if isinstance(value, (list, dict)):
            return self._container_text(node, value)
        raise UserError(f"cannot write a {type(value).__name__} into {self.name}", "give a number or text")

    def _container_text(self, node, value: Any) -> list[str]:
        from ruamel.yaml.nodes import CollectionNode

        y = _yaml()
        flow = isinstance(node, CollectionNode) and node.flow_style
        if flow or not value:
            y.default_flow_style = True
            buf = io.StringIO()
            y.dump(value, buf)
            return [buf.getvalue().strip()]
        col = node.start_mark.column
        lines: list[str] = []
        if isinstance(value, list) and all(not isinstance(v, (list, dict)) for v in value):
            lines = ["- " + self._scalar_text(v) for v in value]
        elif isinstance(value, dict) and all(not isinstance(v, (list, dict)) for v in value.values()):
            lines = [f"{self._scalar_text(k)}: {self._scalar_text(v)}" for k, v in value.items()]
        else:
            y.indent(mapping=2, sequence=4, offset=2)
            buf = io.StringIO()
            y.dump(value, buf)
            lines = buf.getvalue().rstrip("\n").splitlines()
        return [("\n" + " " * col).join(lines)]

    def _scalar_text(self, v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return _yaml_float(v)
        s = str(v)
        return s if _plain_ok(s) else json.dumps(s, ensure_ascii=False)

    @staticmethod
    def _content_end(node) -> int:
        """Where the node's own text ends (block collections' end marks include following comments)."""
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        while True:
            if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
                return node.end_mark.index
            if isinstance(node, SequenceNode) and node.value:
                node = node.value[-1]
            elif isinstance(node, MappingNode) and node.value:
                node = node.value[-1][1]
            else:
                return node.end_mark.index

    def _replace(self, path: str, value: Any) -> None:
        expected = self._expected(path, value)
        node = self._node(path)
        s = node.start_mark.index
        e = self._content_end(node)
        seg = self.text[s:e]
        tail = seg[len(seg.rstrip()) :]
        e -= len(tail)
        for cand in self._candidates(node, value):
            text = self.text[:s] + cand + self.text[e:]
            try:
                data = _yaml().load(text)
            except Exception:  # a candidate that does not parse: try the next one
                continue
            if _same(_plain(data), expected):
                self.text, self.data = text, data
                return
        self._redump(path, value, expected)

    def _redump(self, path: str, value: Any, expected: Any) -> None:
        """Last resort: set the value in ruamel's round-trip tree and dump the whole file."""
        data = _yaml().load(self.text)
        cur = data
        keys = self._locate(path)
        for k in keys[:-1]:
            cur = cur[k]
        cur[keys[-1]] = value
        buf = io.StringIO()
        _yaml().dump(data, buf)
        text = buf.getvalue()
        new = _yaml().load(text)
        if not _same(_plain(new), expected):
            raise UserError(f"could not write {path} into {self.name}", "edit this value in the file by hand",
                            field=path)  # fmt: skip
        self.text, self.data = text, new


# ----------------------------------------------------------------------------- JSON

_WS = re.compile(r"[ \t\n\r]*")


class _JNode:
    __slots__ = ("kind", "start", "end", "children")

    def __init__(self, kind: str, start: int, end: int, children: Any = None):
        self.kind, self.start, self.end, self.children = kind, start, end, children


def _json_spans(text: str) -> _JNode:
    """Spans of every value in a JSON text already known to be valid."""
    dec = json.JSONDecoder()

    def value(i: int) -> _JNode:
        i = _WS.match(text, i).end()
        c = text[i]
        if c == "{":
            items: list[tuple[str, _JNode]] = []
            j = _WS.match(text, i + 1).end()
            if text[j] == "}":
                return _JNode("obj", i, j + 1, items)
            while True:
                key, j = json.decoder.scanstring(text, j + 1)
                j = _WS.match(text, j).end() + 1  # ':'
                child = value(j)
                items.append((key, child))
                j = _WS.match(text, child.end).end()
                if text[j] == "}":
                    return _JNode("obj", i, j + 1, items)
                j = _WS.match(text, j + 1).end()  # after ','
        if c == "[":
            elems: list[_JNode] = []
            j = _WS.match(text, i + 1).end()
            if text[j] == "]":
                return _JNode("arr", i, j + 1, elems)
            while True:
                child = value(j)
                elems.append(child)
                j = _WS.match(text, child.end).end()
                if text[j] == "]":
                    return _JNode("arr", i, j + 1, elems)
                j = j + 1
        _, end = dec.raw_decode(text, i)
        return _JNode("val", i, end)

    return value(0)


class JsonDoc(_DataDoc):
    format = "json"

    def _load(self, text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecParseError(self.name, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}",
                                 "fix the JSON at that place") from None  # fmt: skip
        except RecursionError:
            raise SpecParseError(
                self.name, 1, 1, "invalid JSON: nested too deeply", "simplify the file"
            ) from None

    def _indent_unit(self) -> int:
        m = re.search(r"\n([ ]+)\S", self.text)
        return len(m.group(1)) if m else 2

    def _replace(self, path: str, value: Any) -> None:
        expected = self._expected(path, value)
        node = _json_spans(self.text)
        keys = self._locate(path)
        for k in keys:
            if node.kind == "obj":
                matches = [c for key, c in node.children if key == k]
                node = matches[-1]  # json.loads keeps the last duplicate
            else:
                node = node.children[k]
        old = self.text[node.start : node.end]
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{path}: JSON has no {value}", "give a finite number", field=path)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and node.kind == "val"
            and re.search(r"[.eE]", old)
        ):
            new = repr(float(value))
        elif isinstance(value, (list, dict)) and "\n" in old:
            ls = self.text.rfind("\n", 0, node.start) + 1
            pre = self.text[ls : node.start]
            indent = pre[: len(pre) - len(pre.lstrip())]
            new = json.dumps(value, indent=self._indent_unit(), ensure_ascii=False).replace(
                "\n", "\n" + indent
            )
        else:
            new = json.dumps(value, ensure_ascii=False)
        text = self.text[: node.start] + new + self.text[node.end :]
        data = self._load(text)
        if not _same(data, expected):  # pragma: no cover - json.dumps output always reads back
            raise UserError(f"could not write {path} into {self.name}", "edit the file by hand", field=path)
        self.text, self.data = text, data


# ----------------------------------------------------------------------------- plain lists


class ListDoc:
    """A file with one entry per line (class maps, id lists). Blank lines are not entries."""

    format = "list"

    def __init__(self, text: str, name: str = "<spec>"):
        self.name = name
        self.text = text

    def _lines(self) -> list[tuple[int, int]]:
        """(start, end) of each entry's text, stripped of surrounding whitespace."""
        out = []
        for m in re.finditer(r"[^\r\n]+", self.text):
            s, e = m.span()
            seg = m.group(0)
            if seg.strip():
                s += len(seg) - len(seg.lstrip())
                e -= len(seg) - len(seg.rstrip())
                out.append((s, e))
        return out

    def _missing(self, path: str) -> UserError:
        return UserError(f"{path!r} is not in this list ({self.name})",
                         'use "" for the whole list or "[i]" for one entry', field=path)  # fmt: skip

    def _index(self, path: str) -> int:
        m = re.fullmatch(r"\[(\d+)\]", path)
        if not m:
            raise self._missing(path)
        i = int(m.group(1))
        if i >= len(self._lines()):
            raise self._missing(path)
        return i

    def render(self) -> str:
        return self.text

    def get(self, path: str) -> Any:
        s, e = self._lines()[self._index(path)]
        return self.text[s:e]

    def has(self, path: str) -> bool:
        if path == "":
            return True
        try:
            self._index(path)
            return True
        except UserError:
            return False

    def set(self, path: str, value: Any) -> None:
        s, e = self._lines()[self._index(path)]
        v = str(value)
        if not v.strip() or "\n" in v or "\r" in v:
            raise UserError(f"list entry {v!r} must be one non-empty line", "give a single line", field=path)
        self.text = self.text[:s] + v + self.text[e:]

    def leaves(self) -> Iterator[tuple[str, Any]]:
        return iter([(f"[{i}]", self.text[s:e]) for i, (s, e) in enumerate(self._lines())])

    def count(self, path: str) -> int:
        if path == "":
            return len(self._lines())
        return 1 if self.has(path) else 0

    def get_list(self, path: str) -> list[Any]:
        if path != "":
            raise self._missing(path)
        return [self.text[s:e] for s, e in self._lines()]

    def set_list(self, path: str, values: list[Any]) -> None:
        if path != "":
            raise self._missing(path)
        vals = [str(v) for v in values]
        for v in vals:
            if not v.strip() or "\n" in v or "\r" in v:
                raise UserError(
                    f"list entry {v!r} must be one non-empty line", "give single lines", field=path
                )
        nl = "\r\n" if "\r\n" in self.text else "\n"
        final = self.text.endswith(("\n", "\r")) or not self.text
        self.text = nl.join(vals) + (nl if final and vals else "")

    def get_mapping(self, path: str) -> list[tuple[str, str]]:
        raise UserError(f"{self.name} is a plain list, not a mapping", "use get_list", field=path)

    def set_mapping(self, path: str, pairs: Any) -> None:
        raise UserError(f"{self.name} is a plain list, not a mapping", "use set_list", field=path)


_LIST_LINE_RE = re.compile(r"[^:{}<>\[\]#\"']*\Z")


def looks_like_list(text: str) -> bool:
    """True for one-entry-per-line files: no protobuf punctuation, at least one entry."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return bool(lines) and all(_LIST_LINE_RE.match(ln) for ln in lines)


__all__ = ["JsonDoc", "ListDoc", "YamlDoc", "line_col", "looks_like_list"]
