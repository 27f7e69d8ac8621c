"""Dataset scan benchmark: `tao_tui.dataset.scan_dataset` on a 20k-label KITTI dataset, against the
least any scan must do, in the same run.

    .venv/bin/python bench/bench_dataset.py [--labels 20000] [--objects 6] [--rounds 3] [--before COMMIT]

Input: ``--labels`` PNG images (headers only: a scan reads no pixels) and KITTI label files of
``--objects`` lines each (names Forklift/Person/Pallet, a few inverted boxes and 16-field lines),
in ``training/image_2`` + ``training/label_2``, written once to a temp folder (page cache warm).
Readers, alternating, best of ``--rounds``:
  baseline  list both folders, read every label file and split every line (no checks, no counts)
  before    `scan_kitti` of the preflight.py in ``--before`` (default: the commit before tao_tui/dataset.py),
            loaded from `git show`
  tao-tui   `scan_dataset(root)` (every check, class counts, 200 image headers, progress callback)
The ratio is tao-tui seconds / baseline seconds (lower is better); the goal is "a few seconds" at 20k.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\xe0\x00\x00\x01\x80\x08\x02\x00\x00\x00"
NAMES = ("Forklift", "Person", "Pallet")


def make(root: Path, labels: int, objects: int) -> None:
    img, lab = root / "training/image_2", root / "training/label_2"
    img.mkdir(parents=True)
    lab.mkdir(parents=True)
    for i in range(labels):
        stem = f"{i:06d}"
        (img / f"{stem}.png").write_bytes(PNG_HEAD)
        lines = []
        for k in range(objects):
            x1, x2 = (40.5, 10.0) if (i + k) % 97 == 0 else (10.0, 40.5)
            extra = " 0.93" if (i + k) % 211 == 0 else ""
            lines.append(f"{NAMES[(i + k) % 3]} 0.00 0 0.00 {x1} 12.00 {x2} 80.25 0.00 0.00 0.00 0.00 0.00 0.00 0.00"
                         f"{extra}\n")
        (lab / f"{stem}.txt").write_text("".join(lines))


def baseline(root: Path) -> int:
    img, lab = root / "training/image_2", root / "training/label_2"
    os.listdir(img)
    n = 0
    for name in os.listdir(lab):
        with open(lab / name, encoding="utf-8", errors="replace") as fh:
            for line in fh.read().splitlines():
                n += len(line.split())
    return n


def load_before(commit: str):
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:tao_tui/preflight.py"], check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "preflight_before.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("preflight_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["preflight_before"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.scan_kitti


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=int, default=20000)
    ap.add_argument("--objects", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", default="a204a6e", help="commit whose preflight.scan_kitti is 'before'")
    args = ap.parse_args()

    from tao_tui.dataset import scan_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kitti"
        t = time.perf_counter()
        make(root, args.labels, args.objects)
        print(f"made {args.labels} images + labels ({args.objects} objects each) in {time.perf_counter() - t:.1f} s")
        calls = []
        before = load_before(args.before) if args.before else None
        rows = {"baseline": [], "before": [], "tao-tui": []}
        for _ in range(args.rounds):
            rows["baseline"].append(best(lambda: baseline(root), 1))
            if before:
                rows["before"].append(best(lambda: before(root), 1))
            rows["tao-tui"].append(best(lambda: scan_dataset(root, on_progress=lambda d, n: calls.append(d)), 1))
        scan = scan_dataset(root)
        base = min(rows["baseline"])
        print(f"python {platform.python_version()}, {os.cpu_count()} cpus; best of {args.rounds}")
        print(f"{'reader':<10} {'seconds':>8} {'ratio':>6}")
        for name, times in rows.items():
            if times:
                print(f"{name:<10} {min(times):>8.3f} {min(times) / base:>6.2f}")
        print(f"scan: {scan.images} images, {scan.labels} labels, {scan.objects} objects, "
              f"problems {[(p.kind, p.count) for p in scan.problems]}, progress calls/scan "
              f"{len(calls) // args.rounds}")


if __name__ == "__main__":
    main()
