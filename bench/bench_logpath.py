"""Log path benchmark: container -> run log on disk -> parsed progress events, against a plain
Docker SDK read of the same container in the same run.

    .venv/bin/python bench/bench_logpath.py [--lines 200000] [--rounds 3] [--dense]

Needs a Docker engine (as root: `eval "$(bash scripts/start-engine.sh)"`) and the local image
`tao-tui-test/busybox:latest` that script imports (no registry, no network).

Input (what the container prints, then exits):
  default   realistic TAO training output, the generator of bench_progress.py (TF1 detectnet_v2
            chatter, step/sample-counter/epoch lines, validation tables, then PyTorch Lightning
            bars and chatter; about two thirds of the lines match nothing), without the engine
            timestamps (the engine adds its own)
  --dense   the worst case: only detectnet_v2 step and epoch lines (a recorded log, repeated)
Both readers then read the container's whole log with follow=True and timestamps=True,
alternating, best of ``--rounds``:
  baseline  `for chunk in container.logs(stream=True, follow=True, timestamps=True): split lines`
  tao-tui   `Engine.follow(container, run_log, on_lines)`, on_lines as StageRunner.attach has it:
            ProgressParser.feed_lines on the batch, the events appended to events.jsonl
The ratio is tao-tui lines/s divided by baseline lines/s (goal >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

IMAGE = "tao-tui-test/busybox:latest"
FIXTURE = ROOT / "tests/fixtures/logs/detectnet_v2_train_progress.log"


def baseline(client, cid: str) -> int:
    container = client.containers.get(cid)
    n = 0
    rest = b""
    for chunk in container.logs(stream=True, follow=True, timestamps=True):
        data = rest + chunk
        lines = data.split(b"\n")
        rest = lines.pop()
        n += len(lines)
    return n + (1 if rest else 0)


def ours(engine, cid: str, workdir: Path) -> tuple[int, int]:
    from tao_tui.progress import ProgressParser

    parser = ProgressParser()
    counts = [0, 0]
    stamp = time.monotonic_ns()
    log = workdir / f"log-{stamp}"
    with open(workdir / f"events-{stamp}.jsonl", "a", encoding="utf-8") as events_fh:

        def on_lines(lines: list[str]) -> None:  # as StageRunner.attach
            counts[0] += len(lines)
            events = parser.feed_lines(lines)
            if events:
                counts[1] += len(events)
                events_fh.write("".join(json.dumps(e.to_dict()) + "\n" for e in events))
                events_fh.flush()

        engine.follow(cid, log, on_lines)
    on_disk = sum(1 for _ in log.open("rb"))
    assert on_disk == counts[0], (on_disk, counts[0])
    return counts[0], counts[1]


def build_body(path: Path, n_lines: int, dense: bool) -> str:
    """The text the container prints; returns a description of it."""
    if dense:
        body = [ln for ln in FIXTURE.read_text().splitlines()[2:] if ln.strip()]
        reps = max(1, n_lines // len(body))
        path.write_text(("\n".join(body) + "\n") * reps, encoding="utf-8")
        return f"dense: {FIXTURE.name} ({len(body)} step/epoch lines) x {reps}"
    from bench_progress import build

    counts = build(path, n_lines)
    with open(path, encoding="utf-8", newline="\n") as f:
        text = "".join(line.split(" ", 1)[1] for line in f)  # drop bench_progress's engine timestamp
    path.write_text(text, encoding="utf-8")
    return (
        f"realistic (bench_progress generator): {counts['noise']} chatter + "
        f"{counts['lines'] - counts['noise']} progress/table lines"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dense", action="store_true", help="only detectnet_v2 step/epoch lines (worst case)")
    args = ap.parse_args()

    from tao_tui.errors import TaoTuiError
    from tao_tui.runtime.engine import Engine, Mount, RunSpec

    try:
        engine = Engine.connect()
        engine.ensure_image(IMAGE)
    except TaoTuiError as err:
        print(f'cannot run the benchmark: {err}\n(as root: eval "$(bash scripts/start-engine.sh)")')
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        what = build_body(work / "in/body.txt", args.lines, args.dense)
        size_mb = (work / "in/body.txt").stat().st_size / 1e6
        cid = engine.start(
            RunSpec(
                image=IMAGE,
                argv=["cat", "/in/body.txt"],
                labels={"tao-tui.bench": "1"},
                mounts=[Mount(str(work / "in"), "/in", True)],
                gpus=None,
                network=False,
                user="",
            )
        )
        engine.client.containers.get(cid).wait()
        best_base = best_ours = 0.0
        lines = events = 0
        try:
            for _ in range(args.rounds):
                t = time.perf_counter()
                n_base = baseline(engine.client, cid)
                best_base = max(best_base, n_base / (time.perf_counter() - t))
                t = time.perf_counter()
                lines, events = ours(engine, cid, work)
                best_ours = max(best_ours, lines / (time.perf_counter() - t))
                assert lines == n_base, (lines, n_base)
        finally:
            engine.remove(cid)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"input: {what}; {size_mb:.0f} MB")
    print(f"lines: {lines:,} (parsed into {events:,} progress events)")
    print(f"baseline  plain SDK read      {best_base:12,.0f} lines/s")
    print(f"tao-tui   follow→log→events   {best_ours:12,.0f} lines/s")
    print(f"ratio tao-tui / baseline: {best_ours / best_base:.2f}  (goal >= 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
