"""Re-attach after a drop with 100k lines logged. Needs the engine and the fake TAO image the engine
tests build (tests/engine/conftest.py).

    TAO_TUI_NO_GPU=1 .venv/bin/python bench/bench_reattach.py          # runner.attach in this process
    TAO_TUI_NO_GPU=1 .venv/bin/python bench/bench_reattach.py --app    # the whole wizard, on a pty

Default: time from ``attach`` to the first live line at the sink, against parsing the on-disk history
alone (what attach did before it followed). ``--app``: ``tao-tui --project P`` started on a 160x48
pty while the stage runs and nobody follows it (its log on disk ends with 100k older lines): time
from the process start to the first frame, and to the container's first line on the screen (it
reaches the disk only through the follower the wizard starts: Python start, docker import, engine
connect, the catch-up, the wizard's read and draw), median of ``--runs``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["TAO_TUI_NO_GPU"] = "1"

from tao_tui.cli import main  # noqa: E402
from tao_tui.progress import ProgressParser  # noqa: E402
from tao_tui.project import Project  # noqa: E402
from tao_tui.runtime.runner import StageRunner  # noqa: E402
from tests.datasets import make_kitti  # noqa: E402


def _setup(tmp: Path, delay: str) -> tuple[Path, str]:
    make_kitti(tmp / "data", ("car",), 1)  # one image, one labelled car
    root = tmp / "proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(tmp / "data"),
                 "--tao-version", "5.0.0", "--image", "tao-tui-test/fake-tao:latest", "--yes"]) == 0
    project = Project.load(root)
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": delay}
    project.save()
    assert main(["run", "dataset_convert", "--project", str(root), "--detach"]) == 0
    run_id = Project.load(root).stages["dataset_convert"].run_id
    log = root / "runs" / run_id / "log"
    fixture = ROOT / "tests/fixtures/logs/detectnet_v2_train_progress.log"
    src = [x for x in fixture.read_text().splitlines() if not x.startswith("#")]
    with log.open("w") as fh:  # 100k lines logged before the drop (older timestamps)
        for i in range(100_000):
            fh.write(f"2026-01-01T00:00:{i % 60:02d}.{i:09d}Z {src[i % len(src)]}\n")
    return root, run_id


def bench_app(tmp: Path, runs: int) -> None:
    import statistics

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_tui import PY, PtyApp

    frames, lives = [], []
    for i in range(runs):
        root, run_id = _setup(tmp / f"r{i}", "0.5")
        app = PtyApp([PY, "-m", "tao_tui.cli", "--project", str(root)], 160, 48)
        try:
            frame = app.wait_for(b"dataset_convert", timeout=60)
            live = app.wait_for(b"Registry: ['nvcr.io']", timeout=60)
        finally:
            app.close()
        if frame is None or live is None:
            raise SystemExit(f"no {'first frame' if frame is None else 'live line'}: {bytes(app.out[-1500:])!r}")
        frames.append(frame - app.started)
        lives.append(live - app.started)
        StageRunner(Project.load(root)).stop("dataset_convert", timeout=1)
        print(f"run {i + 1}: first frame {frames[-1]:.2f} s, container's first line on screen {lives[-1]:.2f} s")
    print(f"median of {runs}: first frame {statistics.median(frames):.2f} s, "
          f"live tail {statistics.median(lives):.2f} s after the wizard's start")


def bench(tmp: Path) -> None:
    root, run_id = _setup(tmp, "0.2")
    log = root / "runs" / run_id / "log"
    start = time.perf_counter()
    parser = ProgressParser()
    for raw in log.read_text().splitlines():
        parser.feed_line(raw.split(" ", 1)[1])
    parse_s = time.perf_counter() - start
    first: dict[str, float] = {}
    t0 = time.perf_counter()

    def sink(lines, events):
        if lines and "t" not in first:
            first["t"] = time.perf_counter() - t0

    StageRunner(Project.load(root)).attach(run_id, sink)
    print(f"history parse alone (what attach did before following): {parse_s:.2f} s")
    print(f"attach -> first live line at the sink: {first.get('t', float('nan')):.2f} s "
          "(engine connect included; docker already imported)")


if __name__ == "__main__":
    tmp = Path(tempfile.mkdtemp(prefix="bench-reattach-"))
    try:
        if "--app" in sys.argv:
            bench_app(tmp, 5)
        else:
            bench(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
