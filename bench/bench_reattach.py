"""Re-attach after a drop with 100k lines logged: time to the first live line at the sink, against
parsing the on-disk history alone (what attach did before it followed). Needs the engine and the
fake TAO image the engine tests build (tests/engine/conftest.py).

    TAO_TUI_NO_GPU=1 .venv/bin/python bench/bench_reattach.py
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


def bench(tmp: Path) -> None:
    data = tmp / "data/training"
    (data / "image_2").mkdir(parents=True)
    (data / "label_2").mkdir()
    (data / "image_2/0.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 24)
    (data / "label_2/0.txt").write_text("car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n")
    root = tmp / "proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(tmp / "data"),
                 "--tao-version", "5.0.0", "--image", "tao-tui-test/fake-tao:latest", "--yes"]) == 0
    project = Project.load(root)
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": "0.2"}
    project.save()
    assert main(["run", "dataset_convert", "--project", str(root), "--detach"]) == 0
    run_id = Project.load(root).stages["dataset_convert"].run_id
    log = root / "runs" / run_id / "log"
    fixture = ROOT / "tests/fixtures/logs/detectnet_v2_train_progress.log"
    src = [x for x in fixture.read_text().splitlines() if not x.startswith("#")]
    with log.open("w") as fh:  # 100k lines logged before the drop (older timestamps)
        for i in range(100_000):
            fh.write(f"2026-01-01T00:00:{i % 60:02d}.{i:09d}Z {src[i % len(src)]}\n")
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
        bench(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
