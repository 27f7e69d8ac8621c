"""The wizard under a real pty, against a bare Textual app measured in the same run (issue 12).

    .venv/bin/python bench/bench_tui.py [--lines 1000000] [--rate 50000] [--size 160x48] [--only first-frame|stream]

Measures, each app in its own process on a pseudo-terminal (what a terminal or sshd gives it):

* time to first frame: process start -> the first screen's text on the pty, for a bare Textual
  app (Header, Footer), tao-tui's start screen and ``tao-tui --project P`` (median of runs);
* while ``--rate`` lines/s stream (a writer process does what a run's follower process does: the
  run log with engine timestamps, ``ProgressParser.feed_lines`` on real TAO lines into
  events.jsonl; the wizard reads both, as it reads a real run): bytes/s written to the terminal
  over ``--quiet-s`` without keys, then key latency (down/up moves the stage cursor; time until
  the new command is on the pty), p50/p99, against a bare Textual ``Log`` app that reads the same
  run log every 0.25 s; batches drawn (none skipped);
* after ``--lines`` lines: RSS; then idle: bytes/s to the terminal and CPU %.

Ratios are against the bare app of the same run. Nothing here is timed in tests.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
LOGS = ROOT / "tests" / "fixtures" / "logs"


# ---------------------------------------------------------------------------------------- child apps
def _tao_lines() -> list[str]:
    lines = []
    for log in sorted(LOGS.glob("detectnet_v2_train_*.log")):
        lines += [x for x in log.read_text().splitlines() if not x.startswith("# ")]
    return lines


SETTLE_S = float(os.environ.get("TAO_TUI_BENCH_SETTLE", "5"))
RUN_ID = "train-20261130-000000-bench"


def make_run(project: Path) -> Path:
    """A run folder as ``StageRunner.start`` leaves it (run.json, no result yet)."""
    run_dir = project / "runs" / RUN_ID
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps({"stage": "train", "run_id": RUN_ID, "container_id": "bench"}))
    return run_dir


def child_writer(run_dir: str, total: int, rate: int, delay: float) -> None:
    """What a follower process does with a container's output: the run log (engine timestamp in
    front of each line) and events.jsonl (``ProgressParser.feed_lines``, one write per batch), at
    ``rate`` lines/s in 20 ms batches, after ``delay`` s; then result.json. It holds the run's
    follow lock, as a follower does (a follower the wizard spawns finds it and leaves)."""
    from tao_tui.progress import ProgressParser
    from tao_tui.runtime.runner import follow_lock

    folder = Path(run_dir)
    with follow_lock(folder):
        time.sleep(delay)
        parser = ProgressParser()
        src = _tao_lines()
        batch = max(1, rate // 50)
        sent = 0
        start = time.monotonic()
        with open(folder / "log", "a", encoding="utf-8") as log, open(folder / "events.jsonl", "a", encoding="utf-8") as ev:
            while sent < total:
                n = min(batch, total - sent)
                lines = [f"{src[(sent + i) % len(src)]} #{sent + i}" for i in range(n)]
                ts = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z ", time.gmtime())
                log.write("".join(ts + x + "\n" for x in lines))
                log.flush()
                events = parser.feed_lines(lines)
                if events and not os.environ.get("TAO_TUI_BENCH_NO_EVENTS"):  # to isolate the events' cost
                    ev.write("".join(json.dumps(e.to_dict()) + "\n" for e in events))
                    ev.flush()
                sent += n
                lag = start + sent / rate - time.monotonic()
                if lag > 0:
                    time.sleep(lag)
        took = time.monotonic() - start
        (folder / "result.json").write_text(json.dumps({"status": "done", "exit_code": 0}))
    (folder / "writer.json").write_text(json.dumps({"stream_s": took, "sent": sent}))


def child_bare() -> None:
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        TITLE = "bare-bench"

        def compose(self):
            yield Header()
            yield Static("bare app ready")
            yield Footer()

    Bare().run()


def child_bare_stream(run_dir: str, stats_path: str) -> None:
    """Baseline: Header, Footer, a two-option list + a Static (the key target) and a Textual Log
    with max_lines, fed from the same run log by a thread that reads it every 0.25 s."""
    from textual.app import App
    from textual.widgets import Footer, Header, Log, OptionList, Static

    log_path = Path(run_dir) / "log"

    class BareStream(App):
        def compose(self):
            yield Header()
            yield OptionList("dataset_convert", "train", id="stages")
            yield Static("", id="command")
            yield Log(max_lines=5000, id="log")
            yield Footer()

        def on_mount(self):
            self.query_one("#stages").focus()
            threading.Thread(target=self.tail, daemon=True).start()

        def tail(self):
            pos, flushes = 0, 0
            while True:
                time.sleep(0.25)
                try:
                    with open(log_path, "rb") as fh:
                        fh.seek(pos)
                        data = fh.read()
                except OSError:
                    continue
                end = data.rfind(b"\n") + 1
                pos += end
                if end:
                    lines = [x.split(" ", 1)[-1] for x in data[:end].decode("utf-8", "replace").split("\n")[:-1]]
                    self.call_from_thread(self.query_one("#log", Log).write_lines, lines[-5000:])
                    flushes += 1
                if (Path(run_dir) / "result.json").exists() and not end:
                    Path(stats_path).write_text(json.dumps({"flushes": flushes}))
                    return

        def on_option_list_option_highlighted(self, event):
            name = "dataset_convert -d" if event.option_index == 0 else "train -e"
            self.query_one("#command", Static).update(f"$ tao model detectnet_v2 {name} …")

    BareStream().run()


def child_tao_stream(project: str, stats_path: str) -> None:
    """tao-tui as users start it (``--project P``): it finds the open run, its spawned follower
    leaves (the writer holds the run's follow lock) and the wizard reads the run log and
    events.jsonl as the writer fills them."""
    import tao_tui.ui.app
    from tao_tui.ui.app import TaoTuiApp
    from tao_tui.ui.widgets.log_pane import LogPane
    from tao_tui.ui.widgets.progress_panel import ProgressPanel

    result = Path(project) / "runs" / RUN_ID / "result.json"

    class Streamed(TaoTuiApp):
        CSS_PATH = str(Path(tao_tui.ui.app.__file__).parent / TaoTuiApp.CSS_PATH)

        def on_ready(self):
            def report():
                while not result.exists():
                    time.sleep(0.2)
                time.sleep(1.5)
                screen = self.screen
                log = screen.query_one("#log", LogPane)
                progress = screen.query_one("#progress", ProgressPanel)
                Path(stats_path).write_text(json.dumps({"flushes": log.flushes, "progress_repaints": progress.repaints,
                                                        "pane_lines": len(log.lines), "progress": progress.text}))

            threading.Thread(target=report, daemon=True).start()

    Streamed(project=project).run()


# ---------------------------------------------------------------------------------------- pty harness
class PtyApp:
    """A process on a pty of ``cols`` x ``rows``; every byte it writes is read by a thread."""

    def __init__(self, argv: list[str], cols: int, rows: int, env: dict | None = None):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", "COLUMNS": str(cols),
                    "LINES": str(rows), **(env or {})}
        full_env.pop("TEXTUAL", None)
        # Python's bytecode cache on, as on a user's machine (pip compiles at install; a run writes the
        # rest): without it every start compiles tao-tui's modules from source, not Textual's
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                     start_new_session=True, cwd=str(ROOT))
        os.close(slave)
        self.out = bytearray()
        self.times: list[tuple[float, int]] = []  # (when, total bytes so far)
        self.cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.5)
                if not r:
                    if self.proc.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.cond:
                self.out += data
                self.times.append((time.monotonic(), len(self.out)))
                self.cond.notify_all()

    def wait_for(self, marker: bytes, start: int = 0, timeout: float = 30.0) -> float | None:
        """Seconds (monotonic) when ``marker`` first appears at or after byte ``start``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if self.out.find(marker, start) != -1:
                    return time.monotonic()
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def bytes_between(self, t0: float, t1: float) -> int:
        with self.cond:
            before = [n for t, n in self.times if t <= t0]
            upto = [n for t, n in self.times if t <= t1]
        return (upto[-1] if upto else 0) - (before[-1] if before else 0)

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.master)


def first_frame(argv: list[str], marker: bytes, cols: int, rows: int, runs: int, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        app = PtyApp(argv, cols, rows, env)
        when = app.wait_for(marker, timeout=60)
        app.close()
        if when is None:
            raise SystemExit(f"no first frame ({marker!r}) from {argv}:\n{bytes(app.out[-2000:])!r}")
        times.append(when - app.started)
    return statistics.median(times)


def key_latency(app: PtyApp, seconds: float) -> list[float]:
    """Alternate down/up for ``seconds``; each: time until the newly selected stage's command is drawn."""
    lat = []
    end = time.monotonic() + seconds
    keys = [(b"\x1b[B", b"train -e"), (b"\x1b[A", b"dataset_convert -d")]
    i = 0
    while time.monotonic() < end:
        key, marker = keys[i % 2]
        with app.cond:
            start = len(app.out)
        t0 = time.monotonic()
        app.send(key)
        when = app.wait_for(marker, start, timeout=5)
        if when is not None:
            lat.append(when - t0)
        i += 1
        time.sleep(0.1)
    return lat


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def make_project(folder: Path) -> Path:
    root = folder / "proj"
    subprocess.run([PY, "-m", "tao_tui.cli", "new", "--network", "detectnet_v2", "--dir", str(root),
                    "--tao-version", "5.0.0", "--yes"], check=True, capture_output=True, cwd=str(ROOT))
    return root


def stream_phase(me: list[str], argv: list[str], project: Path, cols: int, rows: int, total: int, rate: int,
                 stats_path: Path, quiet_s: float, key_seconds: float, idle_s: float) -> dict:
    """One app on the pty while a writer process fills a run's files: ``quiet_s`` of streaming
    without keys (bytes to the terminal), then ``key_seconds`` of keys (latency), then the end of
    the stream, RSS, and ``idle_s`` of idle (bytes, CPU)."""
    run_dir = project / "runs" / RUN_ID
    shutil.rmtree(run_dir, ignore_errors=True)
    make_run(project)
    writer = subprocess.Popen([*me, "writer", str(run_dir), str(total), str(rate), str(SETTLE_S)], cwd=str(ROOT))
    env = {"TAO_TUI_BENCH_STATS": str(stats_path)}
    app = PtyApp(argv, cols, rows, env)
    try:
        if app.wait_for(b"dataset_convert", timeout=60) is None:
            raise SystemExit(f"no first frame from {argv}")
        log = run_dir / "log"
        while not log.exists():  # the stream starts SETTLE_S after the writer
            time.sleep(0.05)
        time.sleep(1.0)
        t0 = time.monotonic()
        time.sleep(quiet_s)
        t1 = time.monotonic()
        stream_bps = app.bytes_between(t0, t1) / (t1 - t0)
        lat = key_latency(app, key_seconds)
        writer.wait(timeout=total / rate * 3 + 120)
        deadline = time.monotonic() + 60
        while not stats_path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        stats.update(json.loads((run_dir / "writer.json").read_text()))
        rss = app.rss_mb()
        time.sleep(1.0)
        t0, c0 = time.monotonic(), app.cpu_s()
        time.sleep(idle_s)
        t1, c1 = time.monotonic(), app.cpu_s()
        idle_bps = app.bytes_between(t0, t1) / (t1 - t0)
        return {"p50_ms": pct(lat, 0.5) * 1000, "p99_ms": pct(lat, 0.99) * 1000, "keys": len(lat),
                "stream_Bps": stream_bps, "rss_mb": rss, "idle_Bps": idle_bps,
                "idle_cpu_pct": 100 * (c1 - c0) / (t1 - t0), **stats}
    finally:
        app.close()
        writer.kill()
        writer.wait()


def first_frames(args, me: list[str], project: Path, home: Path, cols: int, rows: int) -> None:
    # interleaved, one of each per round: the three see the same machine load
    apps = {"bare": ([*me, "bare"], b"bare app ready", None),
            "start": ([PY, "-m", "tao_tui.cli"], b"Projects", {"HOME": str(home)}),
            "proj": ([PY, "-m", "tao_tui.cli", "--project", str(project)], b"dataset_convert", None)}
    got: dict[str, list[float]] = {k: [] for k in apps}
    for cmd, marker, env in apps.values():  # warm-up, not counted: bytecode cache, page cache
        first_frame(cmd, marker, cols, rows, 1, env)
    for _ in range(args.runs):
        for name, (cmd, marker, env) in apps.items():
            got[name].append(first_frame(cmd, marker, cols, rows, 1, env))
    bare, start, proj = (statistics.median(got[k]) for k in ("bare", "start", "proj"))
    print(f"\n## time to first frame (median of {args.runs}, interleaved)")
    print(f"bare Textual app (Header/Footer)  {bare * 1000:7.0f} ms  1.00x")
    print(f"tao-tui (start screen)            {start * 1000:7.0f} ms  {start / bare:.2f}x")
    print(f"tao-tui --project P               {proj * 1000:7.0f} ms  {proj / bare:.2f}x")
    for name in apps:
        print(f"  {name}: " + " ".join(f"{t * 1000:.0f}" for t in got[name]) + " ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=50_000)
    ap.add_argument("--size", default="160x48")
    ap.add_argument("--runs", type=int, default=5, help="first-frame runs per app (median)")
    ap.add_argument("--quiet-s", type=float, default=5.0, help="seconds of streaming without keys (bytes/s)")
    ap.add_argument("--keys-s", type=float, default=15.0, help="seconds of key presses while streaming")
    ap.add_argument("--only", choices=("first-frame", "stream"), help="run one part only")
    ap.add_argument("--idle-s", type=float, default=10.0)
    ap.add_argument("--settle-s", type=float, default=SETTLE_S,
                    help="seconds after the first frame before the stream starts (start-up work done)")
    args = ap.parse_args(argv)
    if args.child is not None:
        kind, *rest = args.child
        stats = os.environ.get("TAO_TUI_BENCH_STATS", "/dev/null")
        if kind == "bare":
            child_bare()
        elif kind == "writer":
            child_writer(rest[0], int(rest[1]), int(rest[2]), float(rest[3]))
        elif kind == "bare-stream":
            child_bare_stream(rest[0], stats)
        elif kind == "tao-stream":
            child_tao_stream(rest[0], stats)
        return 0
    cols, rows = (int(x) for x in args.size.split("x"))
    os.environ["TAO_TUI_BENCH_SETTLE"] = str(args.settle_s)  # the children read it
    globals()["SETTLE_S"] = args.settle_s
    me = [PY, str(Path(__file__).resolve()), "--child"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    try:
        project = make_project(tmp)
        home = tmp / "home"  # no recent-projects list of the user's in the start screen
        home.mkdir()
        print(f"terminal {cols}x{rows}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        if args.only != "stream":
            first_frames(args, me, project, home, cols, rows)
        if args.only == "first-frame":
            return 0
        # the baseline reads the same kind of run log, from a project of its own
        other = make_project(tmp / "bare")
        base = stream_phase(me, [*me, "bare-stream", str(other / "runs" / RUN_ID)], other, cols, rows, args.lines,
                            args.rate, tmp / "bare.json", args.quiet_s, args.keys_s, args.idle_s)
        ours = stream_phase(me, [*me, "tao-stream", str(project)], project, cols, rows,
                            args.lines, args.rate, tmp / "tao.json", args.quiet_s, args.keys_s, args.idle_s)
        print(f"\n## streaming {args.lines:,} lines at {args.rate:,} lines/s (a writer process fills the run's files), then idle")
        print(f"{'':26}{'bare Log app':>14}{'tao-tui':>12}{'ratio':>8}")
        for key, label, fmt in [("p50_ms", "key latency p50 (ms)", "{:.1f}"), ("p99_ms", "key latency p99 (ms)", "{:.1f}"),
                                ("stream_Bps", "to terminal streaming B/s", "{:,.0f}"),
                                ("rss_mb", "RSS after stream (MB)", "{:.0f}"), ("idle_Bps", "to terminal idle B/s", "{:,.0f}"),
                                ("idle_cpu_pct", "idle CPU %", "{:.2f}")]:
            b, o = base.get(key, float("nan")), ours.get(key, float("nan"))
            ratio = o / b if b else float("nan")
            print(f"{label:26}{fmt.format(b):>14}{fmt.format(o):>12}{ratio:>8.2f}")
        print(f"keys measured: bare {base.get('keys')}, tao-tui {ours.get('keys')}; "
              f"stream took bare {base.get('stream_s', float('nan')):.1f} s, tao-tui {ours.get('stream_s', float('nan')):.1f} s "
              f"for {ours.get('sent', 0):,} lines")
        print(f"tao-tui log pane: {ours.get('flushes')} batches drawn, {ours.get('pane_lines')} lines held; "
              f"progress panel repaints {ours.get('progress_repaints')}; last progress line: {ours.get('progress')}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
