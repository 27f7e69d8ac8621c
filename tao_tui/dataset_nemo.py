"""Dataset scan for the conversational (NeMo) networks of TAO 3.x/4.x: count the examples and flag
malformed lines, each kind of problem counted once with an example and a fix (like dataset.py).

Formats (NVIDIA TAO 3.0-22.05 / 4.0.1 docs pages, in our words):

* ``asr_manifest`` (speech_to_text*, spectro_gen, vocoder): JSON lines, one utterance a line:
  ``{"audio_filepath": "/path/to/audio.wav", "text": "the transcription", "duration": 23.147}``; the
  duration in seconds (…/tao-30-2205/text/asr/speech_recognition.html, "Preparing the Dataset"; the TTS
  pages use the same manifest).
* ``tsv`` (text_classification): ``sentence<TAB>label`` a line, labels integers from 0
  (https://docs.nvidia.com/metropolis/TLT/tlt-user-guide/text/nlp/text_classification.html "Data Format");
  a ``sentence<TAB>label`` header line is allowed (NeMo's converters write one).
* ``text_labels`` (token_classification, punctuation_and_capitalization): ``text_<split>.txt`` (one
  sentence a line, words separated by spaces) with ``labels_<split>.txt`` (one label per word, the same
  number of lines and words) (…/tao-30-2205/text/nlp/punctuation_and_capitalization.html and
  token_classification.html).
* ``intent_slot`` (intent_slot_classification): ``dict.intents.csv``, ``dict.slots.csv``,
  ``<split>.tsv`` (``sentence<TAB>intent id``, a header line) and ``<split>_slots.tsv`` (one slot id per
  word) (…/tao-30-2108/text/nlp/intent_and_slot.html).

Work is bounded: at most ``MAX_LINES`` lines are read per file (the scan says when it stopped early).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tao_tui.errors import UserError

MAX_LINES = 2_000_000  # lines read per file
CONTAINER_DATA = "/workspace/tao-experiments/data"  # where the project mounts the dataset (project.py)

NEMO_FORMATS = {
    "asr_manifest": ("speech_to_text", "speech_to_text_citrinet", "speech_to_text_conformer", "spectro_gen",
                     "vocoder"),
    "tsv": ("text_classification",),
    "text_labels": ("token_classification", "punctuation_and_capitalization"),
    "intent_slot": ("intent_slot_classification",),
}  # fmt: skip
NEMO_FORMAT_WORDS = {
    "asr_manifest": "audio + JSON-lines manifests (audio_filepath, text, duration)",
    "tsv": "TAB-separated sentence<TAB>label files (.tsv)",
    "text_labels": "text_<split>.txt + labels_<split>.txt (one label per word)",
    "intent_slot": "dict.intents.csv, dict.slots.csv, <split>.tsv + <split>_slots.tsv",
}
# below the tables: tao_tui.dataset imports NEMO_FORMAT_WORDS from here at its end
from tao_tui.dataset import DatasetScan, Finding, Kinds, Problem  # noqa: E402

_UNITS = {
    "asr_manifest": "utterances",
    "tsv": "sentences",
    "text_labels": "sentences",
    "intent_slot": "queries",
}
_TEXT = {  # kind -> (level, what, fix)
    "bad_json": ("fail", "manifest lines that are not one JSON object",
                 "write one {\"audio_filepath\": ..., \"text\": ..., \"duration\": ...} object per line"),
    "missing_field": ("fail", "manifest lines without audio_filepath, text or duration",
                      "give every line all three fields"),
    "bad_duration": ("fail", "manifest lines whose duration is not a positive number of seconds",
                     "write the audio length in seconds, e.g. \"duration\": 3.42"),
    "empty_text": ("warn", "utterances with an empty transcript", "remove them or add the transcript"),
    "no_audio": ("fail", "audio files named in a manifest that are not in the dataset folder",
                 f"use paths inside the container ({CONTAINER_DATA}/...) that exist in your dataset"),
    "bad_columns": ("fail", "lines that are not sentence<TAB>label",
                    "separate the sentence and its label with one TAB character"),
    "bad_label": ("fail", "labels that are not whole numbers from 0", "number the classes 0, 1, 2, ..."),
    "empty_line": ("fail", "empty lines", "remove the empty lines"),
    "count_mismatch": ("fail", "lines whose number of labels differs from their number of words",
                       "give exactly one label per word (space-separated)"),
    "lines_mismatch": ("fail", "text/labels file pairs with different numbers of lines",
                       "keep the text and labels files line by line in step"),
    "no_pair": ("fail", "text files without their labels file (or the other way round)",
                "name them text_<split>.txt and labels_<split>.txt"),
    "label_range": ("fail", "ids beyond the dictionary file", "use ids listed in dict.intents.csv / dict.slots.csv"),
    "no_files": ("warn", "folders without the network's data files (fine when dataset_convert makes them)",
                 "run dataset_convert on your raw data, or put the data files at the folder's top"),
    "truncated": ("warn", "files read only in part (too many lines)", "the counts cover the part read"),
}  # fmt: skip


@dataclass
class NemoScan(DatasetScan):
    """A :class:`~tao_tui.dataset.DatasetScan` of a NeMo dataset: ``images`` counts the examples
    (utterances, sentences), ``labels`` the data files read, ``classes`` the examples per label
    (text classification, intents); ``hours`` the audio length of ASR/TTS manifests."""

    hours: float = 0.0

    def summary_lines(self) -> list[str]:
        words = NEMO_FORMAT_WORDS.get(self.format or "", "no recognised layout")
        lines = [f"dataset {self.root} ({words})"]
        if self.splits:
            lines.append(f"  files: {', '.join(self.splits)}")
        unit = _UNITS.get(self.format or "", "examples")
        extra = f", {self.hours:.2f} hours of audio" if self.format == "asr_manifest" else ""
        lines.append(f"  {self.images} {unit} in {self.labels} files{extra}")
        if self.classes:
            per = ", ".join(f"{name} {count}" for name, count in self.class_counts())
            lines.append(f"  {unit} per label: {per}")
        return lines + self.problem_lines()


class _Kinds(Kinds):
    """dataset.Kinds, turned into Problems with the NeMo formats' texts."""

    def problems(self) -> list[Problem]:
        out = []
        for kind, (level, what, fix) in _TEXT.items():
            if self.count[kind]:
                out.append(Problem(kind, level, self.count[kind], self.example[kind], what, fix))
        return out


def nemo_format(network: str) -> str | None:
    """The NeMo dataset format ``network`` reads (a key of NEMO_FORMATS), or None."""
    return next((fmt for fmt, names in NEMO_FORMATS.items() if network in names), None)


def _lines(path: Path, kinds: _Kinds, rel: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its newline) of a UTF-8 text file, at most MAX_LINES."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            if no > MAX_LINES:
                kinds.add("truncated", rel)
                return
            yield no, line.rstrip("\r\n")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _host_audio(root: Path, manifest: Path, audio: str) -> Path:
    """Where a manifest's audio_filepath is on this machine: container data paths map to the dataset
    folder; relative paths are relative to the manifest (NeMo's rule)."""
    if audio == CONTAINER_DATA or audio.startswith(CONTAINER_DATA + "/"):
        return root / audio[len(CONTAINER_DATA) :].lstrip("/")
    p = Path(audio)
    return p if p.is_absolute() else manifest.parent / p


def scan_asr_manifests(root: Path, files: list[Path], scan: NemoScan, kinds: _Kinds, cancel) -> None:
    checked_audio = 0
    for path in files:
        rel = _rel(path, root)
        for no, line in _lines(path, kinds, rel):
            if cancel is not None and cancel.is_set():
                scan.cancelled = True
                return
            if not line.strip():
                continue
            where = f"{rel}:{no}"
            try:
                item = json.loads(line)
            except ValueError:
                kinds.add("bad_json", where)
                continue
            if not isinstance(item, dict):
                kinds.add("bad_json", where)
                continue
            if not all(k in item for k in ("audio_filepath", "text", "duration")):
                kinds.add("missing_field", where)
                continue
            dur = item["duration"]
            if isinstance(dur, bool) or not isinstance(dur, (int, float)) or dur <= 0:
                kinds.add("bad_duration", where)
                continue
            scan.images += 1
            scan.hours += dur / 3600
            if not str(item["text"]).strip():
                kinds.add("empty_text", where)
            if checked_audio < 2000:  # bounded: the first 2000 audio paths are checked on disk
                checked_audio += 1
                if not _host_audio(root, path, str(item["audio_filepath"])).is_file():
                    kinds.add("no_audio", f"{where} ({item['audio_filepath']})")


def _check_label(text: str, kinds: _Kinds, where: str, limit: int | None = None) -> str | None:
    label = text.strip()
    if not label.isdigit():
        kinds.add("bad_label", f"{where} ({label!r})")
        return None
    if limit is not None and int(label) >= limit:
        kinds.add("label_range", f"{where} ({label})")
        return None
    return label


def scan_tsv(root: Path, files: list[Path], scan: NemoScan, kinds: _Kinds, limit: int | None = None) -> None:
    """sentence<TAB>label lines (a header line ``sentence<TAB>label`` skipped); labels counted."""
    for path in files:
        rel = _rel(path, root)
        for no, line in _lines(path, kinds, rel):
            where = f"{rel}:{no}"
            if not line.strip():
                kinds.add("empty_line", where)
                continue
            parts = line.split("\t")
            if no == 1 and [p.strip().lower() for p in parts] == ["sentence", "label"]:
                continue
            if len(parts) != 2 or not parts[0].strip():
                kinds.add("bad_columns", where)
                continue
            label = _check_label(parts[1], kinds, where, limit)
            if label is not None:
                scan.images += 1
                scan.classes[label] += 1


def scan_text_labels(root: Path, pairs: list[tuple[Path, Path]], scan: NemoScan, kinds: _Kinds) -> None:
    """text_<split>.txt / labels_<split>.txt: as many lines, one label per word on each line."""
    for text, labels in pairs:
        rel_t, rel_l = _rel(text, root), _rel(labels, root)
        t_lines = list(_lines(text, kinds, rel_t))
        l_lines = list(_lines(labels, kinds, rel_l))
        if len(t_lines) != len(l_lines):
            kinds.add("lines_mismatch", f"{rel_t} has {len(t_lines)} lines, {rel_l} {len(l_lines)}")
        for (no, words), (_, labs) in zip(t_lines, l_lines, strict=False):  # a mismatch is reported above
            if not words.strip():
                kinds.add("empty_line", f"{rel_t}:{no}")
                continue
            w, lab = words.split(), labs.split()
            if len(w) != len(lab):
                kinds.add("count_mismatch", f"{rel_t}:{no} ({len(w)} words, {len(lab)} labels)")
                continue
            scan.images += 1
            scan.classes.update(lab)


def _dict_size(path: Path) -> int | None:
    if not path.is_file():
        return None
    return sum(1 for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())


def scan_intent_slot(root: Path, scan: NemoScan, kinds: _Kinds) -> list[Path]:
    intents, slots = _dict_size(root / "dict.intents.csv"), _dict_size(root / "dict.slots.csv")
    queries = sorted(p for p in root.glob("*.tsv") if not p.stem.endswith("_slots"))
    scan_tsv(root, queries, scan, kinds, intents)
    files = [*queries]
    for q in queries:
        sl = q.with_name(f"{q.stem}_slots.tsv")
        if not sl.is_file():
            kinds.add("no_pair", _rel(q, root))
            continue
        files.append(sl)
        q_lines = [line for _, line in _lines(q, kinds, _rel(q, root))]
        if q_lines and [p.strip().lower() for p in q_lines[0].split("\t")] == ["sentence", "label"]:
            q_lines = q_lines[1:]
        s_lines = list(_lines(sl, kinds, _rel(sl, root)))
        if len(q_lines) != len(s_lines):
            kinds.add(
                "lines_mismatch",
                f"{_rel(q, root)} has {len(q_lines)} queries, {_rel(sl, root)} {len(s_lines)}",
            )
        for query, (no, ids) in zip(q_lines, s_lines, strict=False):
            words, labs = query.split("\t")[0].split(), ids.split()
            where = f"{_rel(sl, root)}:{no}"
            if len(words) != len(labs):
                kinds.add("count_mismatch", f"{where} ({len(words)} words, {len(labs)} slots)")
            for lab in labs:
                if _check_label(lab, kinds, where, slots) is None:
                    break
    return files


def detect_nemo(root: Path) -> str | None:
    """The NeMo format of the folder ``root`` (files at its top), or None."""
    if (root / "dict.intents.csv").is_file():
        return "intent_slot"
    if list(root.glob("text_*.txt")) and list(root.glob("labels_*.txt")):
        return "text_labels"
    if list(root.glob("*.tsv")):
        return "tsv"
    for path in sorted(root.glob("*.json"))[:20]:
        try:
            with path.open(encoding="utf-8", errors="replace") as fh:
                first = next((line for line in fh if line.strip()), "")
            if "audio_filepath" in json.loads(first):
                return "asr_manifest"
        except (ValueError, OSError, TypeError):
            continue
    return None


def scan_nemo(
    root: Path,
    fmt: str | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> NemoScan:
    """Scan the NeMo dataset folder ``root`` in format ``fmt`` (a key of NEMO_FORMATS; None: detect).

    Returns a NemoScan: examples in ``images``, data files read in ``labels``, examples per label in
    ``classes``, problems counted by kind. ``on_progress(done, total)`` is called once per file (units:
    files). Raises UserError (field "dataset") when the folder holds none of the format's files."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserError(
            f"dataset folder {root} does not exist",
            "pass the folder that holds your data files",
            field="dataset",
        )
    fmt = fmt or detect_nemo(root)
    if fmt not in NEMO_FORMATS:
        raise UserError(
            f"no NeMo dataset files found in {root}",
            "expected one of: " + "; ".join(NEMO_FORMAT_WORDS.values()),
            field="dataset",
        )
    scan, kinds = NemoScan(root=root, format=fmt, layout=NEMO_FORMAT_WORDS[fmt]), _Kinds()
    if fmt == "asr_manifest":
        files = sorted(p for p in root.rglob("*.json") if p.is_file())
        scan_asr_manifests(root, files, scan, kinds, cancel)
    elif fmt == "tsv":
        files = sorted(root.glob("*.tsv"))
        scan_tsv(root, files, scan, kinds)
    elif fmt == "text_labels":
        texts = sorted(root.glob("text_*.txt"))
        labels = {p.name[len("labels_") :]: p for p in root.glob("labels_*.txt")}
        pairs = [(t, labels[t.name[len("text_") :]]) for t in texts if t.name[len("text_") :] in labels]
        for lonely in [
            *(t for t in texts if t.name[len("text_") :] not in labels),
            *(p for s, p in labels.items() if not (root / f"text_{s}").is_file()),
        ]:
            kinds.add("no_pair", _rel(lonely, root))
        scan_text_labels(root, pairs, scan, kinds)
        files = [p for pair in pairs for p in pair]
    else:
        files = scan_intent_slot(root, scan, kinds)
    if not files:  # raw data that NVIDIA's dataset_convert turns into this format (e.g. an4), or a mistake
        kinds.add("no_files", str(root))
    scan.splits = [_rel(p, root) for p in files]
    scan.labels = scan.read = len(files)
    if on_progress is not None:
        on_progress(len(files), len(files))
    scan.problems = kinds.problems()
    scan.findings = [p.finding() for p in scan.problems] or [
        Finding("pass", f"dataset: {scan.images} {_UNITS[fmt]} in {len(files)} files")
    ]
    return scan
