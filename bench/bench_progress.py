"""Progress-parser throughput on realistic TAO training output, against a bare read loop.

Builds ~1M lines in a temp file, shaped like tao-tui's run log (every line carries the engine's
RFC3339Nano timestamp): a TF1 detectnet_v2 run (TF deprecation warnings, Keras model summary,
tf step lines printed twice, sample-counter lines, per-epoch lines, validation tables) and a
PyTorch Lightning run (tqdm bars with ESC[A remnants, validation bars, dataset warnings, the
Hydra config dump, metric blocks). About two thirds of the lines match nothing, as in real logs.

Run: .venv/bin/python bench/bench_progress.py [--lines N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tao_tui.progress import ProgressParser  # noqa: E402

TS = "2026-11-28T02:{m:02d}:{s:02d}.{ns:09d}Z "
TAO = "2024-01-31 11:{m:02d}:{s:02d},{ms:03d} [TAO Toolkit] [{lvl}] {name} {ln}: "

TF_NOISE = [
    "WARNING:tensorflow:From /usr/local/lib/python3.8/dist-packages/keras/backend/tensorflow_backend.py:{n}: "
    "The name tf.placeholder is deprecated. Please use tf.compat.v1.placeholder instead.",
    TAO.replace("{lvl}", "WARNING").replace("{name}", "tensorflow").replace("{ln}", "137")
    + "From /usr/local/lib/python3.8/dist-packages/keras/backend/tensorflow_backend.py:{n}: The name "
    "tf.get_default_graph is deprecated. Please use tf.compat.v1.get_default_graph instead.",
    "block_{n}a_conv_1 (Conv2D)            (None, 64, 96, 312)  36928       block_{n}a_relu[0][0]",
    "__________________________________________________________________________________________________",
    "block_{n}b_bn_2 (BatchNormalization)  (None, 128, 48, 156) 512         block_{n}b_conv_2[0][0]",
    "",
    TAO.replace("{lvl}", "INFO")
    .replace("{name}", "nvidia_tao_tf1.cv.detectnet_v2.scripts.train")
    .replace("{ln}", "512")
    + "Building DetectNet V2 model",
    "2024-01-31 11:05:{s:02d}.{ms:06d}: I tensorflow/stream_executor/platform/default/dso_loader.cc:49] "
    "Successfully opened dynamic library libcudart.so.11.0",
    TAO.replace("{lvl}", "INFO").replace("{name}", "tf2onnx.tfonnx").replace("{ln}", "45")
    + "folding node using tf type=Identity, name=block_{n}c_conv_shortcut/bias/read",
]
PT_NOISE = [
    "Too few points in geometry component at or near point {n} {m}",
    "  warmup_epoch: 3",
    "    type: SegDetectorRepresenter",
    "/usr/local/lib/python3.8/dist-packages/torch/nn/functional.py:{n}: UserWarning: Default upsampling behavior "
    "when mode=bilinear is changed to align_corners=False since 0.4.0.",
    "[2023-07-13 09:50:55,783 - TAO Toolkit - torch.distributed.nn.jit.instantiator - INFO] Created a temporary "
    "directory at /tmp/tmp1ocd4dky",
    "LOCAL_RANK: 0 - CUDA_VISIBLE_DEVICES: [0,1,2]",
]


def build(path: Path, n_lines: int, seed: int = 7) -> dict[str, int]:
    rnd = random.Random(seed)
    counts = {"noise": 0, "progress": 0}
    out: list[str] = []
    step = 0
    epoch = 0
    steps_per_epoch = 2466
    total = 541
    bar = 0
    pt_epoch = 0

    def ts() -> str:
        return TS.format(m=rnd.randrange(60), s=rnd.randrange(60), ns=rnd.randrange(10**9))

    def fmt(tpl: str) -> str:
        return tpl.format(
            n=rnd.randrange(1, 999), m=rnd.randrange(60), s=rnd.randrange(60), ms=rnd.randrange(1000)
        )

    while len(out) < n_lines:
        half = len(out) < n_lines // 2
        r = rnd.random()
        if r < 0.66:  # chatter
            tpl = rnd.choice(TF_NOISE if half else PT_NOISE)
            out.append(ts() + fmt(tpl) + "\n")
            counts["noise"] += 1
            continue
        counts["progress"] += 1
        if half:  # TF1 detectnet_v2 training
            if r < 0.85:
                step += 37
                e = step / steps_per_epoch
                msg = f"epoch = {e}, learning_rate = 1.2557032e-05, loss = {rnd.random() / 10:.9f}, step = {step} (5.210 sec)"
                out.append(ts() + "INFO:tensorflow:" + msg + "\n")
                out.append(
                    ts()
                    + fmt(TAO.replace("{lvl}", "INFO").replace("{name}", "tensorflow").replace("{ln}", "260"))
                    + msg
                    + "\n"
                )
                if int(e) != epoch:
                    epoch = int(e)
                    out.append(
                        ts()
                        + fmt(
                            TAO.replace("{lvl}", "INFO")
                            .replace(
                                "{name}", "nvidia_tao_tf1.cv.detectnet_v2.tfhooks.task_progress_monitor_hook"
                            )
                            .replace("{ln}", "149")
                        )
                        + f"Epoch {epoch}/120: loss: 0.06473 learning rate: 1.2500004e-05 Time taken: 0:05:10.5 ETA: 1 day, 2:03:04\n"
                    )
                    if epoch % 10 == 0:
                        for row in (
                            "",
                            "Validation cost: 0.000439",
                            "Mean average_precision (in %): 40.3805",
                            "",
                            "+------------+--------------------------+",
                            "| class name | average precision (in %) |",
                            "+------------+--------------------------+",
                            "|    car     |    82.7                  |",
                            "|   person   |    40.38046396159004     |",
                            "+------------+--------------------------+",
                            "",
                            "Median Inference Time: 0.000794",
                        ):
                            out.append(ts() + row + "\n")
            else:
                out.append(
                    ts()
                    + fmt(
                        TAO.replace("{lvl}", "INFO")
                        .replace("{name}", "nvidia_tao_tf1.core.hooks.sample_counter_hook")
                        .replace("{ln}", "76")
                    )
                    + f"Train Samples / sec: {rnd.uniform(50, 60):.3f}\n"
                )
        else:  # PyTorch Lightning
            if r < 0.93:
                bar += 1
                if bar > total:
                    bar = 0
                    pt_epoch += 1
                pct = bar * 100 // total
                fill = "#" * (pct // 9)
                out.append(
                    ts()
                    + f"Epoch {pt_epoch}: {pct:3d}%|{fill:<12}| {bar}/{total} [08:01<1:09:29,  8.60s/it, loss=2.29, v_num=0]\x1b[A\n"
                )
            else:
                out.append(
                    ts()
                    + f"Validation DataLoader 0:  {rnd.randrange(100):2d}%|####      | 12/488 [00:05<05:41,  1.43it/s]\x1b[A\n"
                )
    path.write_text("".join(out), encoding="utf-8")
    counts["lines"] = len(out)
    return counts


def bench(path: Path, repeat: int, clock=time.perf_counter) -> tuple[float, float, int]:
    """(baseline lines/s, parser lines/s, events); ``clock``: wall (perf_counter) or this
    process's CPU time (process_time: steadier on a shared, busy machine)."""
    best_base = best_parse = float("inf")
    n = events = 0
    for _ in range(repeat):
        t0 = clock()
        with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
            n = 0
            for _line in f:
                n += 1
        best_base = min(best_base, clock() - t0)

        t0 = clock()
        parser = ProgressParser()
        feed = parser.feed_line
        events = 0
        with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
            for line in f:
                ev = feed(line)
                if ev:
                    events += len(ev)
        events += len(parser.flush())
        best_parse = min(best_parse, clock() - t0)
    return n / best_base, n / best_parse, events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (steadier when other jobs share the cores)",
    )
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.log"
        counts = build(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        base, parse, events = bench(path, args.repeat, clock)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, {args.clock} clock")
    print(
        f"input: {counts['lines']} lines ({size_mb:.0f} MB), {counts['noise']} chatter, "
        f"{counts['lines'] - counts['noise']} progress/table lines; {events} events"
    )
    print(f"baseline  for line in f: n += 1      {base:>12,.0f} lines/s")
    print(f"parse     ProgressParser.feed_line  {parse:>12,.0f} lines/s")
    print(f"ratio     parse / baseline          {parse / base:>12.3f}")
    print(f"goal      >= 500,000 lines/s        {'met' if parse >= 500_000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
