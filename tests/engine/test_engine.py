"""Engine tests: a real Docker engine, real containers (see conftest.py). No mocks.

Every container carries ``tao-tui.test=1`` and ``tao-tui.test.case=<test>`` and is
removed at the end. Containers run with ``network=False`` and images are never pulled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path

import pytest

from tao_tui.errors import EnvironmentProblem
from tao_tui.runtime.engine import Engine, Mount, RunSpec, read_log_tail, ts_to_since

ROOT = Path(__file__).resolve().parents[2]
BUSYBOX = "tao-tui-test/busybox:latest"
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
DOCKERD_LOG = Path("/var/log/tao-tui-dockerd.log")


def labels(case: str, **extra: str) -> dict[str, str]:
    return {"tao-tui.test": "1", "tao-tui.test.case": case, **extra}


def spec(image: str, argv: list[str], case: str, **kw) -> RunSpec:
    kw.setdefault("gpus", None)
    kw.setdefault("network", False)
    return RunSpec(image, argv, labels=labels(case, **kw.pop("extra_labels", {})), **kw)


def body(name: str) -> list[str]:
    """A recorded TAO log without its two header lines, as the container prints it."""
    return FIXTURES.joinpath(name).read_text(encoding="utf-8").splitlines()[2:]


def engine_log(engine: Engine, cid: str) -> bytes:
    return engine.client.containers.get(cid).logs(timestamps=True)


def ids_with(engine: Engine, case: str) -> list[str]:
    return [
        c.id for c in engine.client.containers.list(all=True, filters={"label": f"tao-tui.test.case={case}"})
    ]


# --------------------------------------------------------------------------- follow


def test_follow_fake_tao_train_matches_engine_log(engine, tao_test_image, tmp_path):
    work = tmp_path / "work"
    (work / "specs").mkdir(parents=True)
    (work / "specs" / "train.txt").write_text("random_seed: 42\n")
    cid = engine.start(
        spec(
            tao_test_image,
            [
                "detectnet_v2",
                "train",
                "-e",
                "/w/specs/train.txt",
                "-r",
                "/w/results",
                "-k",
                "SeCrEtKeY",
                "-n",
                "resnet18",
            ],
            "follow",
            mounts=[Mount(str(work), "/w")],
            env={"FAKE_TAO_LINE_DELAY": "0.002"},
        )
    )
    batches: list[list[str]] = []
    code = engine.follow(cid, tmp_path / "run" / "log", batches.append)
    assert code == 0
    written = (tmp_path / "run" / "log").read_bytes()
    assert written == engine_log(engine, cid)  # line for line, timestamps included
    texts = [t for b in batches for t in b]
    assert texts == [line.split(" ", 1)[1] for line in written.decode().splitlines()]
    assert len(batches) < len(texts)  # batched, not one call per line
    expected = body("detectnet_v2_train_progress.log") + body("detectnet_v2_train_end.log")
    assert texts[1 : 1 + len(expected)] == expected  # the recorded TAO log, verbatim
    assert b"SeCrEtKeY" not in written
    model = work / "results" / "weights" / "resnet18.hdf5"
    assert model.read_bytes().startswith(b"\x89HDF\r\n\x1a\n")
    status = (work / "results" / "status.json").read_text().splitlines()
    assert '"STARTED"' in status[0] and '"SUCCESS"' in status[-1]
    assert any('"epoch": 2' in s for s in status)


def test_stage_outputs_exit_code_and_hydra(engine, tao_test_image, tmp_path):
    runs = {
        "convert": [
            "detectnet_v2",
            "dataset_convert",
            "-d",
            "/w/c.txt",
            "-o",
            "/w/tfrecords/train",
            "-r",
            "/w/r0",
        ],
        "fail": [
            "tao",
            "model",
            "detectnet_v2",
            "evaluate",
            "-e",
            "/w/e.txt",
            "-m",
            "/w/m.hdf5",
            "-r",
            "/w/r1",
        ],
        "hydra": ["dino", "train", "-e", "/w/train.yaml", "results_dir=/w/r2", "encryption_key=HydraKey"],
        "infer": ["detectnet_v2", "inference", "-e", "/w/i.txt", "-i", "/w/images", "-r", "/w/r3"],
    }
    env = {"fail": {"FAKE_TAO_EXIT": "3"}}
    ids = {
        k: engine.start(
            spec(tao_test_image, argv, "outputs", mounts=[Mount(str(tmp_path), "/w")], env=env.get(k, {}))
        )
        for k, argv in runs.items()
    }
    codes = {k: engine.follow(cid, tmp_path / "logs" / k) for k, cid in ids.items()}
    assert codes == {"convert": 0, "fail": 3, "hydra": 0, "infer": 0}
    assert (tmp_path / "tfrecords" / "train-fold-000-of-002-shard-00000-of-00010").is_file()
    assert "FAILURE" in (tmp_path / "r1" / "status.json").read_text().splitlines()[-1]
    assert (tmp_path / "r2" / "train" / "model_epoch_000.pth").read_bytes().startswith(b"PK\x03\x04")
    assert '"SUCCESS"' in (tmp_path / "r2" / "train" / "status.json").read_text()
    assert (tmp_path / "r3" / "images_annotated" / "000000.png").is_file()
    assert (tmp_path / "r3" / "labels" / "000000.txt").is_file()
    assert b"HydraKey" not in (tmp_path / "logs" / "hydra").read_bytes()
    convert = (tmp_path / "logs" / "convert").read_text()
    assert body("detectnet_v2_dataset_convert_coco.log")[-1] in convert
    assert [i.exit_code for i in engine.find(labels("outputs")) if i.id == ids["fail"]] == [3]


def test_fast_burst_recovers_every_line_and_keeps_up(engine, tmp_path):
    n = 200_000
    cid = engine.start(spec(BUSYBOX, ["seq", "1", str(n)], "burst"))
    seen = [0]
    t0 = time.perf_counter()
    code = engine.follow(cid, tmp_path / "log", lambda b: seen.__setitem__(0, seen[0] + len(b)))
    live_s = time.perf_counter() - t0
    assert code == 0
    data = (tmp_path / "log").read_bytes()
    assert data == engine_log(engine, cid)
    assert [int(x.split(b" ", 1)[1]) for x in data.splitlines()] == list(range(1, n + 1))
    assert seen[0] == n

    # throughput: follow into a fresh file vs a plain SDK read of the same log (best of 2 each)
    container = engine.client.containers.get(cid)
    plain, ours = [], []
    for i in range(2):
        t = time.perf_counter()
        for _ in container.logs(stream=True, follow=True, timestamps=True):
            pass
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.follow(cid, tmp_path / f"again{i}", lambda b: None)
        ours.append(time.perf_counter() - t)
    ratio = min(plain) / min(ours)
    print(
        f"\nburst {n} lines: live follow {live_s:.2f}s; re-read plain SDK {min(plain):.2f}s, follow {min(ours):.2f}s, ratio {ratio:.2f}"
    )
    assert ratio >= 0.9, f"follow reads at {ratio:.0%} of a plain SDK read"


FOLLOWER = (
    "import sys\n"
    "from tao_tui.runtime.engine import Engine\n"
    "code = Engine.connect().follow(sys.argv[1], sys.argv[2], lambda b: None)\n"
    "sys.exit(0 if code is None else code)\n"
)


def test_follower_killed_three_times_loses_and_doubles_nothing(engine, tmp_path):
    # ~4 s of output in bursts of 50 lines every 20 ms (torn writes are likely on SIGKILL)
    script = (
        'i=0; while [ $i -lt 200 ]; do j=0; while [ $j -lt 50 ]; do echo "burst $i line $j"; '
        "j=$((j+1)); done; i=$((i+1)); usleep 20000; done; exit 7"
    )
    cid = engine.start(spec(BUSYBOX, ["sh", "-c", script], "sshdrop"))
    log = tmp_path / "run.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.9, 0.7, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", FOLLOWER, cid, str(log)], env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert engine.inspect(cid).running, "the container must outlive its follower"
    size_before = log.stat().st_size
    final = subprocess.run([sys.executable, "-c", FOLLOWER, cid, str(log)], env=env, timeout=60)
    assert final.returncode == 7
    assert size_before > 0
    data = log.read_bytes()
    assert data == engine_log(engine, cid)  # no gap, no duplicate, same order
    assert len(data.splitlines()) == 200 * 50


def test_torn_last_line_is_cut_and_fetched_again(engine, tmp_path):
    cid = engine.start(
        spec(BUSYBOX, ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do echo line $i; done"], "torn")
    )
    assert engine.wait(cid) == 0
    full = engine_log(engine, cid)
    lines = full.splitlines(keepends=True)
    log = tmp_path / "log"
    log.write_bytes(b"".join(lines[:4]) + lines[4][:17])  # killed in the middle of line 5
    last, count = read_log_tail(log)
    assert last == lines[3].split(b" ")[0] and count == 1
    assert log.read_bytes() == b"".join(lines[:4])  # torn part cut
    assert engine.follow(cid, log) == 0
    assert log.read_bytes() == full
    assert engine.follow(cid, log) == 0  # following a finished run again adds nothing
    assert log.read_bytes() == full


def test_read_log_tail_counts_lines_sharing_the_last_timestamp(tmp_path):
    ts = b"2026-11-28T02:12:15.832199016Z"
    log = tmp_path / "log"
    log.write_bytes(b"2026-11-28T02:12:14.000000001Z a\n" + ts + b" b\n" + ts + b" c\n")
    assert read_log_tail(log) == (ts, 2)
    assert 1795831935.8321 < ts_to_since(ts) < 1795831935.832199
    assert read_log_tail(tmp_path / "missing") == (None, 0)


# --------------------------------------------------------------------------- errors


def test_gpu_request_without_nvidia_runtime_explains_and_leaves_nothing(engine):
    with pytest.raises(EnvironmentProblem) as info:
        engine.start(spec(BUSYBOX, ["true"], "gpu", gpus="all"))
    err = info.value
    assert "could not select device driver" in err.message
    assert (
        "NVIDIA Container Toolkit" in err.fix and "nvidia-ctk runtime configure --runtime=docker" in err.fix
    )
    assert "systemctl restart docker" in err.fix
    assert "APIError" not in str(err) and "500 Server Error" not in str(err)
    assert ids_with(engine, "gpu") == []
    assert engine.find(labels("gpu")) == []


def test_missing_image_is_never_pulled(engine, tmp_path):
    image = f"nvcr.io/nvidia/tao/tao-toolkit:0.0.0-missing-{uuid.uuid4().hex[:6]}"
    log_size = DOCKERD_LOG.stat().st_size if DOCKERD_LOG.exists() else None
    with pytest.raises(EnvironmentProblem) as info:
        engine.start(spec(image, ["detectnet_v2", "train"], "noimage"))
    err = info.value
    assert image in err.message and "not on this machine" in err.message
    assert f"docker pull {image}" in err.fix and "$oauthtoken" in err.fix
    frames = [f.name for f in traceback.extract_tb(err.__traceback__)]
    assert "ensure_image" in frames and "create" not in frames
    assert ids_with(engine, "noimage") == []
    assert not engine.has_image(image)
    if log_size is not None:
        new = DOCKERD_LOG.read_bytes()[log_size:]
        assert b"nvcr.io" not in new and b"registry" not in new.lower()


def test_missing_mount_source_names_it_and_creates_nothing(engine, tmp_path):
    missing = tmp_path / "no-such-dataset"
    with pytest.raises(EnvironmentProblem) as info:
        engine.start(spec(BUSYBOX, ["true"], "nomount", mounts=[Mount(str(missing), "/workspace/data")]))
    assert str(missing) in info.value.message and "/workspace/data" in info.value.message
    assert "mkdir -p" in info.value.fix
    assert ids_with(engine, "nomount") == []


def test_low_disk_threshold_refuses_before_create(engine, tmp_path):
    strict = Engine(engine.client, engine.host, min_free_bytes=1 << 62)
    with pytest.raises(EnvironmentProblem) as info:
        strict.start(spec(BUSYBOX, ["true"], "disk", mounts=[Mount(str(tmp_path), "/w")]))
    assert "GiB free" in info.value.message
    assert ids_with(engine, "disk") == []
    warned: list[str] = []
    lenient = Engine(engine.client, engine.host, min_free_bytes=0, warn_free_bytes=1 << 62)
    cid = lenient.start(
        spec(BUSYBOX, ["true"], "disk", mounts=[Mount(str(tmp_path), "/w")]), on_warning=warned.append
    )
    assert warned and "low disk space" in warned[0]
    assert lenient.wait(cid) == 0


def test_unreachable_engine_explains_how_to_start_it(tmp_path):
    host = f"unix://{tmp_path}/docker.sock"
    with pytest.raises(EnvironmentProblem) as info:
        Engine.connect(host, timeout=5)
    assert "Docker is not running / not reachable at " + host in info.value.message
    assert "sudo systemctl start docker" in info.value.fix


# --------------------------------------------------------------------------- manage


def test_stop_interrupts_a_running_stage_and_records_exit_code(engine, tao_test_image, tmp_path):
    cid = engine.start(
        spec(
            tao_test_image,
            ["detectnet_v2", "train", "-e", "/w/s.txt", "-r", "/w/r", "-k", "k"],
            "stop",
            mounts=[Mount(str(tmp_path), "/w")],
            env={"FAKE_TAO_LINE_DELAY": "0.2"},
        )
    )
    result: dict[str, object] = {}
    follower = threading.Thread(target=lambda: result.update(code=engine.follow(cid, tmp_path / "log")))
    follower.start()
    time.sleep(1.0)
    assert engine.inspect(cid).status == "running"
    t = time.perf_counter()
    code = engine.stop(cid, timeout=5)
    took = time.perf_counter() - t
    follower.join(15)
    assert code == 130, code  # SIGINT reached TAO's handler (not a SIGKILL 137)
    assert result["code"] == 130
    assert took < 3, f"stop took {took:.1f}s"
    assert "Training was interrupted" in (tmp_path / "r" / "status.json").read_text()
    info = engine.inspect(cid)
    assert info.status == "exited" and info.exit_code == 130
    assert engine.stop(cid, timeout=1) == 130  # already exited: tolerated


def test_follow_returns_none_when_stopped_and_resumes_later(engine, tmp_path):
    script = "i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); usleep 50000; done"
    cid = engine.start(spec(BUSYBOX, ["sh", "-c", script], "detach"))
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    assert engine.follow(cid, tmp_path / "log", stop=stop) is None
    assert engine.inspect(cid).running
    assert engine.follow(cid, tmp_path / "log") == 0
    assert (tmp_path / "log").read_bytes() == engine_log(engine, cid)


def test_find_by_labels_and_run_options(engine, tmp_path):
    run = uuid.uuid4().hex[:8]
    cid = engine.start(
        spec(
            BUSYBOX,
            ["sh", "-c", "id -u; id -g; pwd; df -k /dev/shm | tail -n 1; ulimit -n; echo $STAGE"],
            "find",
            extra_labels={"tao-tui.project": "p1", "tao-tui.stage": "train", "tao-tui.run": run},
            user="1234:2345",
            workdir="/tmp",
            shm_size="128m",
            ulimits={"nofile": 4321},
            env={"STAGE": "train"},
            name=f"tao-tui-test-{run}",
        )
    )
    assert engine.wait(cid) == 0
    out = engine.logs(cid, timestamps=False).decode().split()
    assert out[:3] == ["1234", "2345", "/tmp"]
    assert "131072" in out and "4321" in out and out[-1] == "train"
    found = engine.find({"tao-tui.project": "p1", "tao-tui.run": run})
    assert [f.id for f in found] == [cid]
    info = found[0]
    assert info.name == f"tao-tui-test-{run}" and info.image == BUSYBOX
    assert info.status == "exited" and info.exit_code == 0 and not info.running
    assert info.labels["tao-tui.stage"] == "train"
    assert cid in [f.id for f in engine.find({"tao-tui.run": None, "tao-tui.test.case": "find"})]
    assert engine.find({"tao-tui.run": "no-such-run"}) == []
    engine.remove(cid)
    engine.remove(cid)  # already gone: fine
    assert engine.find({"tao-tui.run": run}) == []
