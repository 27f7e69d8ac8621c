"""Log path benchmark: container -> run log on disk -> parsed progress events, against a plain
Docker SDK read of the same container in the same run.

    .venv/bin/python bench/bench_logpath.py [--lines 200000] [--rounds 3]

Needs a Docker engine (as root: `eval "$(bash scripts/start-engine.sh)"`) and the local image
`tao-tui-test/busybox:latest` that script imports (no registry, no network).

The container prints realistic TAO training output (detectnet_v2 step and epoch lines from a
recorded log, repeated) and exits; both readers then read its whole log with follow=True and
timestamps=True, alternating, best of ``--rounds``:
  baseline  `for chunk in container.logs(stream=True, follow=True, timestamps=True): split lines`
  tao-tui   `Engine.follow(container, run_log, on_lines)` with on_lines feeding ProgressParser
The ratio is tao-tui lines/s divided by baseline lines/s (goal >= 0.9).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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

    def on_lines(lines: list[str]) -> None:
        counts[0] += len(lines)
        for line in lines:
            counts[1] += len(parser.feed_line(line))

    log = workdir / f"log-{time.monotonic_ns()}"
    engine.follow(cid, log, on_lines)
    on_disk = sum(1 for _ in log.open("rb"))
    assert on_disk == counts[0], (on_disk, counts[0])
    return counts[0], counts[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from tao_tui.errors import TaoTuiError
    from tao_tui.runtime.engine import Engine, RunSpec

    try:
        engine = Engine.connect()
        engine.ensure_image(IMAGE)
    except TaoTuiError as err:
        print(f"cannot run the benchmark: {err}\n(as root: eval \"$(bash scripts/start-engine.sh)\")")
        return 2
    body = [ln for ln in FIXTURE.read_text().splitlines()[2:] if ln.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        reps = max(1, args.lines // len(body))
        (work / "in/body.txt").write_text("\n".join(body) + "\n")
        script = f"i=0; while [ $i -lt {reps} ]; do cat /in/body.txt; i=$((i+1)); done"
        from tao_tui.runtime.engine import Mount

        cid = engine.start(RunSpec(image=IMAGE, argv=["sh", "-c", script], labels={"tao-tui.bench": "1"},
                                   mounts=[Mount(str(work / "in"), "/in", True)], gpus=None, network=False,
                                   user=""))
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
    print(f"lines: {lines:,} (of which parsed into {events:,} progress events)")
    print(f"baseline  plain SDK read      {best_base:12,.0f} lines/s")
    print(f"tao-tui   follow→log→events   {best_ours:12,.0f} lines/s")
    print(f"ratio tao-tui / baseline: {best_ours / best_base:.2f}  (goal >= 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
