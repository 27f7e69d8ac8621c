"""The safe-parameter model: the few values a beginner may change; everything else is locked.

A :class:`ParamSet` wraps a network's :class:`~tao_tui.specs.netdef.NetworkDef` and its loaded
spec documents (``{spec file name: SpecDoc}``). ``set`` validates a value (type, bounds, class
names, then the cross-field rules of :mod:`tao_tui.specs.rules` when that module is present) and
writes it into the document, so the rendered spec differs from NVIDIA's only in that value.

A path that is not a safe parameter is *locked* at NVIDIA's default; setting it raises
:class:`~tao_tui.errors.LockedParamError` unless an expert unlocked it with :meth:`ParamSet.unlock`.

Keys: ``"<spec file>:<path>"`` or a bare ``"<path>"``. A bare path that names a safe parameter in
several spec files sets each of them (the same batch size in train and retrain, say).
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tao_tui.errors import LockedParamError, UserError, ValidationError
from tao_tui.specs.netdef import NetworkDef, SafeParamDef

CLASS_NAME_RE = re.compile(r"^[a-z0-9][-a-z0-9_]{0,39}$")
CLASS_LIST_RE = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_]{0,39}$")
GROUP_TYPES = {"class_mapping", "class_list"}
STATES = ("editable", "locked", "unlocked", "changed")
# Where a value comes from (Row.provenance), computed here and shown the same way by the wizard,
# `spec show` and `status`:
PROVENANCES = {
    "nvidia": "locked at NVIDIA's value",
    "yours": "a safe value you set",
    "editable": "safe to change; at NVIDIA's default",
    "rewritten": "rewritten by tao-tui",
    "differs": "locked, but not NVIDIA's value",
    "unlocked": "unlocked by an expert",
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_FIRST = re.compile(r"\[0\]")
_UNSET = re.compile(r"^\s*\?+\s*$")
_PAIR_SEP = re.compile(r"\s*(?:->|=>|=|:)\s*")


@dataclass(frozen=True)
class Rewrite:
    """A value tao-tui itself wrote into a spec (not the user, not NVIDIA).

    ``kind``: ``feed`` (an earlier stage's output, e.g. ``tfrecords_path``), ``classes`` (a class
    block regenerated from the class mapping), ``dataset_root`` (NVIDIA's ``training/`` paths pointed
    at a dataset without that folder), ``retrain`` (copied from the train spec), ``interval`` (a
    locked interval lowered to fit a shorter training); ``origin``: what it came from, in words;
    ``value``: the value tao-tui wrote (a file edited since then no longer holds it).
    """

    kind: str
    origin: str
    value: Any = None


@dataclass(frozen=True)
class Row:
    """One line of :meth:`ParamSet.describe`: a scalar leaf, or a whole class group.

    ``state`` (editable | locked | unlocked | changed) says what the user may do; ``provenance``
    (a key of :data:`PROVENANCES`) says where the value comes from; ``nvidia`` is NVIDIA's value
    for the path (``in_nvidia`` False: NVIDIA's file has no such value, or no file was compared);
    ``origin`` says what a ``rewritten`` value came from.
    """

    spec: str
    path: str
    value: Any
    default: Any
    state: str  # editable | locked | unlocked | changed
    help: str
    type: str
    bounds: tuple[float | None, float | None] | None = None
    provenance: str = "nvidia"
    nvidia: Any = None
    in_nvidia: bool = True
    origin: str | None = None
    safe: bool = False

    @property
    def key(self) -> str:
        return f"{self.spec}:{self.path}"

    @property
    def editable(self) -> bool:
        """Whether the user may change it now (a safe or unlocked value tao-tui does not overwrite)."""
        return self.state in ("editable", "changed", "unlocked")

    @property
    def group(self) -> bool:
        return self.type in GROUP_TYPES

    @property
    def note(self) -> str:
        """The provenance in words, e.g. ``locked; NVIDIA's value is 1248``."""
        nv = format_value(self.nvidia) if self.in_nvidia else None
        if self.provenance == "nvidia":
            return "locked: NVIDIA's value" if self.in_nvidia else "locked (no NVIDIA file to compare with)"
        if self.provenance == "editable":
            return "editable: NVIDIA's default"
        if self.provenance == "yours":
            return f"yours; NVIDIA's default is {nv}" if nv is not None else "yours"
        if self.provenance == "rewritten":
            tail = f"; NVIDIA's value is {nv}" if nv is not None else "; not in NVIDIA's file"
            return f"rewritten by tao-tui {self.origin or ''}".rstrip() + tail
        if self.provenance == "differs":
            return (
                f"locked; NVIDIA's value is {nv}"
                if nv is not None
                else "locked; NVIDIA's file has no such value"
            )
        if self.provenance == "unlocked":
            return (
                f"UNLOCKED by an expert; NVIDIA's value is {nv}"
                if nv is not None
                else "UNLOCKED by an expert"
            )
        return self.provenance


# --------------------------------------------------------------------------- helpers


def canonical_path(path: str) -> str:
    """``a[0].b[0]`` and ``a.b`` name the same field (a bare name is the first occurrence)."""
    return _FIRST.sub("", path.strip())


def split_key(key_or_path: str) -> tuple[str | None, str]:
    """``"spec.txt:a.b"`` -> ``("spec.txt", "a.b")``; ``"a.b"`` -> ``(None, "a.b")``."""
    if ":" in key_or_path:
        spec, path = key_or_path.split(":", 1)
        return spec.strip() or None, path.strip()
    return None, key_or_path.strip()


def format_value(value: Any) -> str:
    """A value as the user types it: booleans ``true``/``false``, class pairs in the one notation
    ``forklift:forklift, pallet:forklift``, lists as ``a, b``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(
            ":".join(map(str, x)) if isinstance(x, (list, tuple)) and len(x) == 2 else format_value(x)
            for x in value
        )
    if value is None:
        return ""
    return str(value)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def _bounds_rule(p: SafeParamDef, lo: float | None, hi: float | None, got: Any) -> str:
    if lo is not None and hi is not None:
        return f"must be between {_num(lo)} and {_num(hi)} (got {got})"
    if lo is not None:
        return f"must be at least {_num(lo)} (got {got})"
    return f"must be at most {_num(hi)} (got {got})"


def _bounds(p: SafeParamDef) -> tuple[float | None, float | None]:
    lo, hi = p.min, p.max
    # A count of images, epochs or classes below 1 is never valid (TAO's spec validator, S12).
    if lo is None and p.kind in {"batch_size", "epochs", "num_classes"} and p.type in {"int", "float"}:
        lo = 1
    return lo, hi


def _fix_range(p: SafeParamDef, lo: float | None, hi: float | None) -> str:
    parts = []
    if lo is not None and hi is not None:
        parts.append(f"use a value from {_num(lo)} to {_num(hi)}")
    elif lo is not None:
        parts.append(f"use a value of {_num(lo)} or more")
    else:
        parts.append(f"use a value of {_num(hi)} or less")
    if p.default is not None:
        parts.append(f"NVIDIA's default is {p.default}")
    return "; ".join(parts)


def _parse_int(field: str, value: Any, fix: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, f"must be a whole number (got {value})", fix)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValidationError(field, f"must be a whole number (got {value!r})", fix)
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            return int(text)
        except ValueError:
            pass
        try:
            f = float(text)
        except ValueError:
            f = math.nan
        if math.isfinite(f) and f.is_integer():
            return int(f)
    raise ValidationError(field, f"must be a whole number (got {value!r})", fix)


def _parse_float(field: str, value: Any, fix: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(field, f"must be a number (got {value})", fix)
    try:
        f = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, f"must be a number such as 0.001 or 1e-4 (got {value!r})", fix) from None
    if not math.isfinite(f):
        raise ValidationError(field, f"must be a finite number (got {value!r})", fix)
    return f


def _parse_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ValidationError(field, f"must be true or false (got {value!r})", "answer true or false (yes/no)")


def _parse_str(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError(field, f"must be text (got {value!r})", "type the value as plain text")
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValidationError(field, "must be a single line of text", "remove the line breaks")
    return text


def _parse_path(field: str, value: Any, relative_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a path (got {value!r})", "type a path such as /workspace/data")
    text = value.strip()
    if not text:
        raise ValidationError(
            field, "must not be empty", "type the path inside the container, e.g. /workspace/data"
        )
    if "\n" in text or "\r" in text:
        raise ValidationError(field, "must be a single line", "remove the line breaks from the path")
    if text.startswith("~"):
        raise ValidationError(
            field,
            f"must be a path inside the container; '~' is not expanded there (got {text})",
            "use the absolute container path (a mount destination such as /workspace/...)",
        )
    if not text.startswith("/") and not relative_ok:
        raise ValidationError(
            field,
            f"must be an absolute path inside the container (got {text})",
            "start it with / and point into a mounted folder, e.g. /workspace/tao-experiments/data",
        )
    return text


def check_class_name(field: str, name: Any, role: str = "label") -> str:
    """A class name as TAO matches it.

    ``role="label"`` (a dataset label, the left side of a class mapping): lower-case, 1-40 chars of
    ``[-a-z0-9_]``; ``role="class"`` (a model class of a mapping): the same; ``role="name"`` (a
    class list, matched verbatim by the network, e.g. PointPillars' ``Car``): capitals allowed.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            field, f"class names must be non-empty text (got {name!r})", "type a name such as car"
        )
    name = name.strip()
    if (CLASS_NAME_RE if role != "name" else CLASS_LIST_RE).match(name):
        return name
    if CLASS_NAME_RE.match(name.lower()):
        if role == "label":
            raise ValidationError(
                field,
                f"class name '{name}' has capital letters: TAO's dataset_convert lower-cases label names "
                f"(to '{name.lower()}'), so '{name}' would never match and that class trains to 0 mAP",
                f"write it in lower case: '{name.lower()}'",
            )
        raise ValidationError(
            field,
            f"class name '{name}' has capital letters: every class block of the spec names the class "
            "in lower case",
            f"write it in lower case: '{name.lower()}'",
        )
    lower = "" if role == "name" else "lower-case "
    raise ValidationError(
        field,
        f"class name '{name}' is not valid: use 1-40 {lower}letters, digits, '-' or '_', "
        "starting with a letter or digit",
        "rename it, e.g. 'traffic_light' instead of 'traffic light'",
    )


def is_unset(value: Any) -> bool:
    """NVIDIA's "fill me in" placeholders: Hydra's ``???`` (some files use ``??``), or nothing."""
    return value is None or (isinstance(value, str) and bool(_UNSET.match(value)))


def as_mapping(value: Any, field: str = "classes") -> list[tuple[str, str]]:
    """Normalise a class mapping: a dict, ``[[src, dst], ...]``, ``[{key, value}, ...]``, or the
    text ``"car:car, van:car"`` (the one notation; ``->`` and ``=`` are read too; a bare name maps to itself)."""
    fix = "give SOURCE:TARGET pairs such as car:car, van:car (dataset label : model class)"
    if isinstance(value, str):
        items: list[Any] = [x for x in re.split(r"[,;\n]", value) if x.strip()]
        pairs: list[Any] = []
        for item in items:
            parts = _PAIR_SEP.split(item.strip())
            if len(parts) == 1:
                parts = [parts[0], parts[0]]
            if len(parts) != 2:
                raise ValidationError(field, f"cannot read the class pair '{item.strip()}'", fix)
            pairs.append(parts)
        value = pairs
    if isinstance(value, Mapping):
        value = list(value.items())
    if not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list of (label, class) pairs (got {value!r})", fix)
    out: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, Mapping) and "key" in item and "value" in item:
            item = (item["key"], item["value"])
        elif isinstance(item, str):
            item = (item, item)
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValidationError(field, f"must be a list of (label, class) pairs (got {item!r})", fix)
        out.append((str(item[0]), str(item[1])))
    return out


def as_list(value: Any, field: str = "classes") -> list[str]:
    if isinstance(value, str):
        return [x.strip() for x in re.split(r"[,;\n]", value) if x.strip()]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [v if isinstance(v, str) else str(v) for v in value]
    raise ValidationError(
        field, f"must be a list of class names (got {value!r})", "give names such as car, person"
    )


def _one_of(p: SafeParamDef, value: Any) -> Any:
    """``value`` as one of ``p.choices`` (text or number, compared as NVIDIA's schema writes them)."""
    text = str(value).strip() if not isinstance(value, bool) else str(value)
    for choice in p.choices or ():
        if text == str(choice):
            return choice
    options = ", ".join(str(c) for c in p.choices or ())
    raise ValidationError(
        p.path,
        f"must be one of {options} (got {value!r})",
        f"pick one of NVIDIA's values; the default is {p.default}",
    )


def coerce(p: SafeParamDef, value: Any) -> Any:
    """Validate ``value`` for the safe parameter ``p`` and return it in the spec's type.

    Raises :class:`ValidationError` naming the field, the rule broken and the fix.
    """
    if getattr(p, "choices", None):  # TAO 7 schemas' enum (categorical / ordered_int)
        return _one_of(p, value)
    field = p.path
    lo, hi = _bounds(p)
    if p.type in {"int", "float"}:
        fix = _fix_range(p, lo, hi) if (lo is not None or hi is not None) else "type a number"
        num: float = _parse_int(field, value, fix) if p.type == "int" else _parse_float(field, value, fix)
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            raise ValidationError(
                field, _bounds_rule(p, lo, hi, value if not isinstance(value, str) else value.strip()), fix
            )
        return num
    if p.type == "bool":
        return _parse_bool(field, value)
    if p.type == "str":
        return _parse_str(field, value)
    if p.type == "path":
        # A few specs name files relative to a root given elsewhere (bpnet's coco_spec.json):
        # where NVIDIA's own value is relative, a relative value is accepted too.
        default = p.default
        relative_ok = isinstance(default, str) and not is_unset(default) and not default.startswith("/")
        return _parse_path(field, value, relative_ok)
    if p.type == "class_mapping":
        pairs = as_mapping(value, field)
        if not pairs:
            raise ValidationError(
                field, "needs at least one class", "map at least one dataset label to a class"
            )
        seen: set[str] = set()
        clean = []
        for src, dst in pairs:
            src, dst = check_class_name(field, src, "label"), check_class_name(field, dst, "class")
            if src in seen:
                raise ValidationError(
                    field, f"label '{src}' is mapped twice", "map each dataset label to exactly one class"
                )
            seen.add(src)
            clean.append((src, dst))
        return clean
    if p.type == "class_list":
        names = [check_class_name(field, n, "name") for n in as_list(value, field)]
        if not names:
            raise ValidationError(field, "needs at least one class", "give at least one class name")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValidationError(field, f"class '{dupes[0]}' is listed twice", "list each class once")
        return names
    raise UserError(f"unknown parameter type '{p.type}'", "see specs_templates/README.md", field=field)


def _coerce_like(field: str, current: Any, value: Any) -> Any:
    """An unlocked (expert) value: checked only against the type of the value it replaces."""
    fix = f"NVIDIA's value is {current!r}; give a value of the same kind"
    if isinstance(current, bool):
        return _parse_bool(field, value)
    if isinstance(current, int):
        return _parse_int(field, value, fix)
    if isinstance(current, float):
        return _parse_float(field, value, fix)
    if isinstance(value, (list, tuple)):
        return list(value)
    return _parse_str(field, value)


def _rules():
    try:
        return importlib.import_module("tao_tui.specs.rules")
    except ModuleNotFoundError as err:
        if err.name in ("tao_tui.specs.rules",):
            return None
        raise


# --------------------------------------------------------------------------- ParamSet


class ParamSet:
    """The editable view of one network's spec documents."""

    def __init__(
        self,
        network_def: NetworkDef,
        docs: Mapping[str, Any],
        unlocked: Iterable[str] = (),
        *,
        nvidia: Mapping[str, Any] | None = None,
        rewrites: Mapping[str, Rewrite] | None = None,
    ):
        """``docs``: {spec file name (relative to the network folder): SpecDoc}; ``nvidia``: NVIDIA's
        documents to compare with under the same names (default: the network's template files, loaded
        when first needed); ``rewrites``: {``spec:canonical path``: Rewrite} from
        ``workflow.create.render_with_provenance``."""
        self.network = network_def
        self.docs = dict(docs)
        self._unlocked: list[str] = []
        self._nvidia: dict[str, Any] = dict(nvidia or {})
        self._nvidia_leaves: dict[str, dict[str, Any] | None] = {}
        self.rewrites: dict[str, Rewrite] = dict(rewrites or {})
        for path in unlocked:
            self.unlock(path)

    def nvidia_doc(self, spec: str) -> Any:
        """NVIDIA's document for ``spec`` (given, or the network's template file); None if none."""
        if spec not in self._nvidia:
            doc = None
            folder = getattr(self.network, "folder", None)
            path = folder / spec if folder is not None else None
            if path is not None and path.is_file():
                from tao_tui.specs import load_spec

                try:
                    doc = load_spec(path)
                except UserError:
                    doc = None
            self._nvidia[spec] = doc
        return self._nvidia[spec]

    def nvidia_leaves(self, spec: str) -> dict[str, Any] | None:
        """{canonical path: NVIDIA's value} of NVIDIA's file for ``spec``; None when there is none."""
        if spec not in self._nvidia_leaves:
            doc = self.nvidia_doc(spec)
            self._nvidia_leaves[spec] = (
                None if doc is None else {canonical_path(p): v for p, v in doc.leaves()}
            )
        return self._nvidia_leaves[spec]

    # ------------------------------------------------------------- lookup

    @property
    def unlocked(self) -> frozenset[str]:
        return frozenset(self._unlocked)

    @property
    def safe_params(self) -> list[SafeParamDef]:
        return [p for p in self.network.safe_params if p.spec in self.docs]

    def params_for(self, key_or_path: str) -> list[SafeParamDef]:
        """Every loaded safe parameter the key (``spec:path``) or bare path names."""
        spec, path = split_key(key_or_path)
        cp = canonical_path(path)
        return [
            p for p in self.safe_params if canonical_path(p.path) == cp and (spec is None or p.spec == spec)
        ]

    def _doc(self, spec: str):
        if spec not in self.docs:
            raise UserError(
                f"spec file '{spec}' is not loaded",
                f"load it first; loaded: {', '.join(self.docs) or 'none'}",
                field=spec,
            )
        return self.docs[spec]

    def _present(self, doc: Any, path: str) -> bool:
        try:
            if doc.has(path):
                return True
        except UserError:
            pass
        try:
            return doc.count(path) > 0
        except (UserError, AttributeError):
            return False

    def _locate(self, key_or_path: str) -> list[tuple[str, str]]:
        """(spec, path) pairs holding ``key_or_path``; UserError when no loaded spec has it."""
        spec, path = split_key(key_or_path)
        specs = [spec] if spec else list(self.docs)
        found = [(s, path) for s in specs if self._present(self._doc(s), path)]
        if not found:
            where = spec or ", ".join(self.docs) or "no spec file"
            raise UserError(
                f"{path} is not in {where}",
                "check the spelling; `tao-tui spec show FILE` lists every path",
                field=path,
            )
        return found[:1] if spec is None else found

    def _is_unlocked(self, spec: str, path: str) -> bool:
        cp = canonical_path(path)
        for entry in self._unlocked:
            s, p = split_key(entry)
            if canonical_path(p) == cp and (s is None or s == spec):
                return True
        return False

    def _current(self, p: SafeParamDef) -> Any:
        doc = self.docs[p.spec]
        if p.type == "class_mapping":
            return doc.get_mapping(p.path)
        if p.type == "class_list":
            return doc.get_list(p.path)
        return doc.get(p.path)

    def _write(self, p: SafeParamDef, value: Any) -> None:
        doc = self.docs[p.spec]
        if p.type == "class_mapping":
            doc.set_mapping(p.path, value)
            rules = _rules()
            managed = getattr(rules, "CLASS_RULES", None)
            if (
                rules is not None
                and hasattr(rules, "apply_classes")
                and (managed is None or self.network.name in managed)
            ):
                # every spec's mapping and every per-class block regenerated from this one list (S2)
                rules.apply_classes(self.network, self.docs, value)
        elif p.type == "class_list":
            doc.set_list(p.path, value)
        else:
            doc.set(p.path, value)

    def _rule_errors(self) -> list[ValidationError]:
        rules = _rules()
        if rules is None or not hasattr(rules, "check"):
            return []
        return list(rules.check(self.network, self.docs))

    # ------------------------------------------------------------- editing

    def unlock(self, key_or_path: str) -> None:
        """An expert's explicit unlock of one path (``spec:path`` or a bare path)."""
        self._locate(key_or_path)  # must exist
        if key_or_path not in self._unlocked:
            self._unlocked.append(key_or_path)

    def set(self, key_or_path: str, value: Any) -> Any:
        """Validate ``value`` and write it; returns the value as written.

        Raises ValidationError (type, bounds, class names, or a cross-field rule about this field),
        LockedParamError (a locked path), UserError (a path that is in no loaded spec).
        """
        params = self.params_for(key_or_path)
        if params:
            targets = [(p, coerce(p, value)) for p in params]
            field_names = {p.path for p in params} | {p.key for p in params}
            before = {(e.field, e.rule) for e in self._rule_errors()}
            old = [(p, self._current(p)) for p, _ in targets]
            for p, v in targets:
                self._write(p, v)
            new = [
                e for e in self._rule_errors() if (e.field, e.rule) not in before and e.field in field_names
            ]
            if new:
                for p, v in old:
                    self._write(p, v)
                raise new[0]
            return targets[0][1]
        located = self._locate(key_or_path)
        unlocked = [(s, path) for s, path in located if self._is_unlocked(s, path)]
        if not unlocked:
            s, path = located[0]
            raise LockedParamError(
                f"{path} is locked at NVIDIA's default ({_show(self.docs[s], path)})",
                f"only the safe parameters can be changed: {', '.join(self.safe_names()) or 'none'}; "
                f"an expert can unlock it explicitly with --unlock {path}",
                field=path,
            )
        result = None
        for s, path in unlocked:
            doc = self.docs[s]
            current = doc.get(path)
            result = _coerce_like(path, current, value)
            if isinstance(result, list):
                doc.set_list(path, result)
            else:
                doc.set(path, result)
        return result

    def safe_names(self) -> list[str]:
        names: list[str] = []
        for p in self.safe_params:
            if p.path not in names:
                names.append(p.path)
        return names

    def values(self) -> dict[str, Any]:
        """``{spec:path: current value}`` for every safe and every unlocked parameter."""
        out = {p.key: self._current(p) for p in self.safe_params}
        for entry in self._unlocked:
            for s, path in self._locate(entry):
                out[f"{s}:{path}"] = self.docs[s].get(path)
        return out

    def check(self) -> list[ValidationError]:
        """Every problem of the whole set: each safe value re-validated, then the cross-field rules."""
        errors: list[ValidationError] = []
        for p in self.safe_params:
            current = self._current(p)
            if is_unset(current):
                continue  # not an error by itself: see unset()
            try:
                coerce(p, current)
            except ValidationError as err:
                errors.append(err)
        errors.extend(self._rule_errors())
        return errors

    def unset(self) -> list[SafeParamDef]:
        """Safe parameters still at NVIDIA's "fill me in" placeholder (``???``): the user must set them
        before the stage that reads them runs."""
        return [p for p in self.safe_params if p.type not in GROUP_TYPES and is_unset(self._current(p))]

    # ------------------------------------------------------------- describing

    def describe(self, spec: str | None = None) -> list[Row]:
        """One row per scalar leaf (one per class group) of every loaded spec, in file order, each
        with its provenance (see :data:`PROVENANCES`): safe values are ``editable`` (NVIDIA's default)
        or ``yours``; locked ones ``nvidia`` (NVIDIA's value), ``rewritten`` (tao-tui wrote it, from
        ``Row.origin``), ``differs`` (neither: e.g. a hand-edited file) or ``unlocked``."""
        rows: list[Row] = []
        for name, doc in self.docs.items():
            if spec is not None and name != spec:
                continue
            nvidia = self.nvidia_leaves(name)
            params = [p for p in self.safe_params if p.spec == name]
            groups = [(canonical_path(p.path), p) for p in params if p.type in GROUP_TYPES]
            scalars = {canonical_path(p.path): p for p in params if p.type not in GROUP_TYPES}
            emitted: set[str] = set()
            for lpath, value in doc.leaves():
                cp = canonical_path(lpath)
                group = next((p for g, p in groups if _under(cp, g)), None)
                if group is not None:
                    if group.key not in emitted:
                        emitted.add(group.key)
                        rows.append(self._param_row(group))
                    continue
                p = scalars.get(cp)
                if p is not None:
                    rows.append(self._param_row(p, path=lpath, value=value))
                    continue
                rows.append(self._locked_row(name, lpath, cp, value, nvidia))
        return rows

    def _locked_row(self, name: str, lpath: str, cp: str, value: Any, nvidia: dict[str, Any] | None) -> Row:
        in_nvidia = nvidia is not None and cp in nvidia
        nv = nvidia.get(cp) if in_nvidia else None
        rewrite = self.rewrites.get(f"{name}:{cp}")
        origin = None
        if self._is_unlocked(name, lpath):
            state, provenance = "unlocked", "unlocked"
            help_text = "unlocked by an expert"
        elif rewrite is not None and _equal(value, rewrite.value):
            state, provenance, origin = "locked", "rewritten", rewrite.origin
            help_text = f"tao-tui wrote this value {rewrite.origin}; it is rewritten on every change"
        elif nvidia is None or (in_nvidia and _equal(value, nv)):
            state, provenance = "locked", "nvidia"
            help_text = "locked at NVIDIA's default"
        else:
            state, provenance = "locked", "differs"
            help_text = (
                f"locked, but NVIDIA's value is {format_value(nv)}: this file was changed by hand"
                if in_nvidia
                else "locked, but NVIDIA's file has no such value: this file was changed by hand"
            )
        return Row(
            name, lpath, value, nv if in_nvidia else value, state, help_text, _type_of(value),
            provenance=provenance, nvidia=nv, in_nvidia=in_nvidia, origin=origin,
        )  # fmt: skip

    def _param_row(self, p: SafeParamDef, path: str | None = None, value: Any = None) -> Row:
        value = self._current(p) if path is None else value
        default = p.default
        if p.type == "class_mapping" and default is not None:
            default = as_mapping(default, p.path)
        nvidia = self.nvidia_leaves(p.spec)
        nv: Any = None
        in_nvidia = False
        if nvidia is not None:
            if p.type in GROUP_TYPES:
                nv = self._nvidia_group(p)
                in_nvidia = nv is not None
            else:
                cp = canonical_path(path or p.path)
                in_nvidia = cp in nvidia
                nv = nvidia.get(cp)
        if default is None and in_nvidia:
            default = nv
        rewrite = self.rewrites.get(f"{p.spec}:{canonical_path(path or p.path)}")
        origin = None
        if self._is_unlocked(p.spec, p.path):
            state = provenance = "unlocked"
        elif _same(p, value, default):
            state, provenance = "editable", "editable"
        elif rewrite is not None and _equal(value, rewrite.value):
            state, provenance, origin = "editable", "rewritten", rewrite.origin
        else:
            state, provenance = "changed", "yours"
        lo, hi = _bounds(p)
        bounds = (lo, hi) if (lo is not None or hi is not None) else None
        return Row(
            p.spec, path or p.path, value, default, state, p.help, p.type, bounds,
            provenance=provenance, nvidia=nv if in_nvidia else default, in_nvidia=in_nvidia or default is not None,
            origin=origin, safe=True,
        )  # fmt: skip

    def _nvidia_group(self, p: SafeParamDef) -> Any:
        doc = self.nvidia_doc(p.spec)
        if doc is None:
            return None
        try:
            return doc.get_mapping(p.path) if p.type == "class_mapping" else doc.get_list(p.path)
        except UserError:
            return None


def provenance_lines(
    rows: Iterable[Row], kinds: Iterable[str] = ("yours", "unlocked", "differs")
) -> list[str]:
    """One line per row whose provenance is in ``kinds``, for `tao-tui status` and logs:
    ``<spec>: <path> = <value>  [<note>]`` (e.g. ``train.txt: augmentation_config.preprocessing.
    output_image_width = 480  [locked; NVIDIA's value is 1248]``). Rewritten values are left out by
    default: tao-tui writes many (class blocks, chained paths) and ``spec show`` lists them."""
    wanted = set(kinds)
    return [
        f"{r.spec}: {r.path} = {format_value(r.value)}  [{r.note}]" for r in rows if r.provenance in wanted
    ]


def _under(path: str, group: str) -> bool:
    return path == group or path.startswith(group + ".") or path.startswith(group + "[")


def _equal(a: Any, b: Any) -> bool:
    """Spec values compared as TAO reads them: 1 == 1.0, tuples == lists."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same(p: SafeParamDef, value: Any, default: Any) -> bool:
    if default is None:
        return True
    if p.type == "class_mapping":
        return [tuple(x) for x in value] == [tuple(x) for x in default]
    if p.type == "float":
        try:
            return math.isclose(float(value), float(default), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if p.type == "class_list":
        return list(value) == list(default)
    return value == default


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _show(doc: Any, path: str) -> Any:
    try:
        return doc.get(path)
    except UserError:
        try:
            return doc.get_mapping(path)
        except Exception:  # noqa: BLE001 - only for the message
            return "a group of values"
