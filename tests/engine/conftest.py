"""Fixtures for the engine tests: a real Docker engine, real containers, no mocks.

* ``engine``: connects through ``$DOCKER_HOST`` / the local socket. When nothing answers
  and we are root, runs ``scripts/start-engine.sh`` (installs and starts dockerd, imports
  the busybox image). Otherwise the tests are skipped with the command that enables them,
  except with ``CI=true``: there a missing engine is a failure, never a skip.
* ``tao_test_image``: builds ``tao-tui-test/fake-tao:latest`` offline (no pull, no
  network) from ``tests/engine/image`` and the recorded logs of ``tests/fixtures/logs``.
* Every container started through ``engine`` carries ``tao-tui.test=1`` and this session's
  ``tao-tui.test.session`` label; they are removed at the end of the session (so are stopped
  test containers made meanwhile, e.g. by a CLI subprocess). Stopped test containers older
  than an hour (leftovers of a killed session) are removed at its start; a concurrent
  session's containers are left alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = Path(__file__).resolve().parent / "image"
LOGS_DIR = ROOT / "tests" / "fixtures" / "logs"
BASE_IMAGE = "tao-tui-test/busybox:latest"
FAKE_IMAGE = "tao-tui-test/fake-tao:latest"
TEST_LABEL = {"tao-tui.test": "1"}
ENABLE = (
    "start one with `sudo bash scripts/start-engine.sh` and export the DOCKER_HOST it prints (or run as root)"
)
NETWORK_NAMES = [
    "tao", "detectnet_v2", "dino", "ocdnet", "ocrnet", "retinanet", "segformer", "yolo_v4", "ssd",
    "dssd", "faster_rcnn", "classification_tf1", "classification_tf2", "classification_pyt",
    "efficientdet_tf1", "efficientdet_tf2", "mask_rcnn", "unet", "lprnet", "multitask_classification",
    # conversational (NeMo, TAO 3.22 / 4.0): each is its own command in NVIDIA's container too
    "speech_to_text", "speech_to_text_citrinet", "speech_to_text_conformer", "text_classification",
    "question_answering", "token_classification", "intent_slot_classification",
    "punctuation_and_capitalization", "spectro_gen", "vocoder", "n_gram",
]  # fmt: skip


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"CI=true but the engine tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"no Docker engine for the engine tests ({reason}); {ENABLE}")


def _start_engine_script() -> str:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "start-engine.sh")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/start-engine.sh failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("export DOCKER_HOST="):
            return line.split("=", 1)[1].strip()
    raise RuntimeError(f"scripts/start-engine.sh printed no DOCKER_HOST line: {proc.stdout!r}")


SESSION = f"{os.getpid()}-{int(time.time())}"
LEFTOVER_AGE_S = 3600


def _session_engine_class():
    from tao_tui.runtime.engine import Engine

    class SessionEngine(Engine):
        """The real Engine; ``start`` also labels the container with this test session."""

        def start(self, spec, on_warning=None):
            spec.labels = {**spec.labels, **TEST_LABEL, "tao-tui.test.session": SESSION}
            return super().start(spec, on_warning)

    return SessionEngine


@pytest.fixture(scope="session")
def engine():
    from tao_tui.errors import EnvironmentProblem

    cls = _session_engine_class()
    eng = None
    first_error = None
    try:
        eng = cls.connect()
    except EnvironmentProblem as err:
        first_error = err
    if eng is None or not eng.has_image(BASE_IMAGE):
        if os.geteuid() != 0:
            _unavailable(f"{first_error or BASE_IMAGE + ' is missing'}; not root, so cannot start one here")
        try:
            host = _start_engine_script()
        except Exception as err:  # noqa: BLE001 - reported as the fixture's failure
            _unavailable(str(err))
        if eng is None:
            os.environ["DOCKER_HOST"] = host
            eng = cls.connect()
    started = time.time()
    _remove_test_containers(eng, lambda c: not _running(c) and _created(c) < started - LEFTOVER_AGE_S)
    yield eng
    # ours (session label), and stopped test containers made during this session (e.g. by a CLI subprocess)
    _remove_test_containers(
        eng,
        lambda c: (
            c.labels.get("tao-tui.test.session") == SESSION
            # CLI-made (no session label) and stopped; another session's containers are its own
            or ("tao-tui.test.session" not in c.labels and not _running(c) and _created(c) >= started - 1)
        ),
    )
    eng.close()


def _running(c) -> bool:
    return (c.attrs.get("State") or {}).get("Status", c.status) in ("running", "restarting", "paused")


def _created(c) -> float:
    from tao_tui.runtime.engine import ts_to_since

    try:
        return ts_to_since(c.attrs["Created"])
    except (KeyError, ValueError):
        return 0.0


def _remove_test_containers(eng, which) -> None:
    for c in eng.client.containers.list(all=True, filters={"label": "tao-tui.test=1"}, ignore_removed=True):
        if which(c):
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone
                pass


def build_context() -> tuple[bytes, str]:
    """The build context as an in-memory tar, and a digest of its content."""
    files: list[tuple[str, bytes, int]] = [
        ("Dockerfile", (IMAGE_DIR / "Dockerfile").read_bytes(), 0o644),
        ("bin/fake-tao", (IMAGE_DIR / "fake-tao").read_bytes(), 0o755),
        ("bin/tao-entrypoint", (IMAGE_DIR / "tao-entrypoint").read_bytes(), 0o755),
    ]
    for log in sorted(LOGS_DIR.glob("*.log")):
        files.append((f"logs/{log.name}", log.read_bytes(), 0o644))
    for spec in sorted((IMAGE_DIR / "specs").rglob("*.yaml")):  # download_specs of the NeMo networks
        files.append((f"specs/{spec.relative_to(IMAGE_DIR / 'specs').as_posix()}", spec.read_bytes(), 0o644))
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
            digest.update(name.encode() + b"\0" + data)
        for net in NETWORK_NAMES:
            info = tarfile.TarInfo(f"bin/{net}")
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "fake-tao", 0o777, 0
            tar.addfile(info)
            digest.update(f"link:{net}".encode())
    return buf.getvalue(), digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def tao_test_image(engine) -> str:
    import docker.errors

    context, digest = build_context()
    try:
        image = engine.client.images.get(FAKE_IMAGE)
        if (image.labels or {}).get("tao-tui.test.context") == digest:
            return FAKE_IMAGE
    except docker.errors.ImageNotFound:
        pass
    engine.client.images.build(
        fileobj=io.BytesIO(context),
        custom_context=True,
        tag=FAKE_IMAGE,
        pull=False,
        rm=True,
        forcerm=True,
        network_mode="none",
        labels={"tao-tui.test.context": digest},
    )
    return FAKE_IMAGE


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(autouse=True)
def remove_project_containers(request, tmp_path):
    """Containers a test's projects started (through tao-tui, labelled by project) go at its end."""
    yield
    if "engine" not in request.fixturenames:
        return
    import yaml

    eng = request.getfixturevalue("engine")
    ids = set()
    for path in tmp_path.rglob("project.yaml"):
        ids.add((yaml.safe_load(path.read_text()) or {}).get("id"))
    for pid in ids - {None}:
        for c in eng.client.containers.list(all=True, filters={"label": f"tao-tui.project={pid}"}):
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
