"""No traceback, ever, in the CLI: hypothesis over every command's flags and over the contents of the
files tao-tui reads (project.yaml, ~/.tao_mounts.json, specs, logs, events.jsonl).

Each call runs ``tao_tui.cli.main`` in-process with HOME in a temporary folder and DOCKER_HOST at a
socket that does not exist (no engine is reached; commands that need one fail with exit 2). An
exception escaping ``main`` fails the test; so does an exit code other than 0/1/2 (141: a closed pipe)
and, for a failure, a message that is not ``error: …``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tao_tui.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=int(os.environ.get("TAO_TUI_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---------------------------------------------------------------- the world a command sees

class World:
    """A temporary HOME and working folder with a valid project and files of every awkward kind."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tao-tui-fuzz-"))
        self.home = self.base / "home"
        self.home.mkdir()
        self.cwd = self.base / "cwd"
        self.cwd.mkdir()
        self.project = self.base / "proj"
        env = self._env()
        with _patched_env(env), _in(self.cwd), _quiet():
            code = main(["new", "--network", "detectnet_v2", "--dir", str(self.project), "--tao-version",
                         "5.0.0", "--image", "tao-tui-test/fake-tao:latest", "--yes"])
        assert code == 0
        self.project_yaml = (self.project / "project.yaml").read_bytes()
        f = self.base / "files"
        f.mkdir()
        (f / "binary.txt").write_bytes(bytes(range(256)) * 4)
        (f / "utf16.yaml").write_bytes("a: 1\nb: [1, 2]\n".encode("utf-16"))
        (f / "empty.txt").write_bytes(b"")
        (f / "dir.yaml").mkdir()
        (f / "big_int.txt").write_text("training_config { num_epochs: " + "9" * 5000 + " }\n")
        (f / "laughs.yaml").write_text(BILLION_LAUGHS)
        unreadable = f / "unreadable.txt"
        unreadable.write_text("a: 1\n")
        unreadable.chmod(0)
        os.mkfifo(f / "fifo.txt")
        (f / "a_file").write_text("x")
        self.paths = [str(p) for p in sorted(f.iterdir())] + [
            str(f / "a_file" / "under_a_file"), "/proc", "/proc/self/nope", str(self.project),
            str(self.project / "specs"), str(f / "missing.txt"), "",
        ]

    def _env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "DOCKER_HOST": "unix:///nonexistent/tao-tui-fuzz.sock",
                "KEY": "", "TAO_TUI_NO_GPU": "1", "NGC_CLI_API_KEY": ""}

    def call(self, argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with _patched_env(self._env()), _in(self.cwd), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: usage error (exit 2) or --help (0)
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue()

    def restore_project(self) -> None:
        (self.project / "project.yaml").write_bytes(self.project_yaml)


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


@contextlib.contextmanager
def _patched_env(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _in(folder: Path):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    shutil.rmtree(w.base, ignore_errors=True)


def _check(result: tuple[int, str, str], argv: list[str]) -> None:
    code, out, err = result
    shown = [a[:80] for a in argv]
    assert code in (0, 1, 2, 141), (shown, code, err[-1500:])
    for text in (out, err):
        assert "Traceback" not in text, (shown, text[-1500:])


# ---------------------------------------------------------------- flags of every command

SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\x00"),
                    max_size=40)
NASTY = ["", " ", "nan", "inf", "-inf", "-1", "0", "1e309", "9" * 5000, "x; touch PWNED #", "$(id)",
         "a=b", "training_config.num_epochs=", "training_config.num_epochs=nan",
         "training_config.num_epochs=" + "9" * 5000, "car:car,,", ":", "abc", "1000:1000", "root",
         "-", "--", "train", "detectnet_v2", "5.0.0", "4.0.1", "99.0", "", "ünïcødé", "a\u2028b"]


def _values(world: World):
    return st.one_of(st.sampled_from(NASTY), st.sampled_from(world.paths), SAFE_TEXT)


def _command_argv(world: World, name: str):
    parser = build_parser([name])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    cmd = sub.choices[name]
    actions = [a for a in cmd._actions if not isinstance(a, argparse._HelpAction)]

    @st.composite
    def build(draw):
        argv = [name]
        for action in actions:
            if action.option_strings:
                if not draw(st.booleans()):
                    continue
                flag = draw(st.sampled_from(action.option_strings))
                if action.nargs == 0:
                    argv.append(flag)
                else:
                    argv += [flag, draw(_values(world))]
            elif isinstance(action, argparse._SubParsersAction):
                argv.append(draw(st.sampled_from(sorted(action.choices))))
            else:
                count = 1 if action.nargs in (None, "?") else draw(st.integers(0, 2))
                if action.nargs == "?" and draw(st.booleans()):
                    continue
                argv += [draw(_values(world)) for _ in range(count)]
        if "--project" in argv or name in ("new", "catalog", "spec", "progress", "doctor"):
            return argv
        return argv + ["--project", str(world.project)] if draw(st.booleans()) else argv

    return build()


@pytest.mark.parametrize("name", [c for c in COMMANDS if c not in ("logs",)] + ["logs"])
def test_no_traceback_from_any_flags(world, name):
    @FUZZ
    @given(data=st.data())
    def inner(data):
        argv = data.draw(_command_argv(world, name))
        if "-f" in argv or "--follow" in argv:
            argv = [a for a in argv if a not in ("-f", "--follow")]  # never waits in a unit test
        try:
            _check(world.call(argv), argv)
        finally:
            world.restore_project()

    inner()


# ---------------------------------------------------------------- contents of the files tao-tui reads

PROJECT_YAMLS = [b"just a string\n", b"stages: [1]\n", b"network: 123\n", b"- 1\n- 2\n", b"{}\n",
                 b"id: x\nnetwork: detectnet_v2\ntao_version: 5.0.0\nmounts:", b"\xff\xfe\x00\x00",
                 "network: detectnet_v2\n".encode("utf-16"), BILLION_LAUGHS.encode(), b"[" * 100000,
                 b"id: x\nnetwork: detectnet_v2\ntao_version: 5.0.0\nstages: {train: 5}\n",
                 b"id: x\nnetwork: detectnet_v2\ntao_version: 5.0.0\ngpus: lots\nparams: 7\n",
                 b"id: x\nnetwork: nope\ntao_version: '1'\n", b"id: [1]\nnetwork: {a: 1}\ntao_version: 5\n"]


def _project_yaml(world: World):
    good = world.project_yaml
    return st.one_of(
        st.sampled_from(PROJECT_YAMLS),
        st.binary(max_size=200),
        st.integers(0, len(good)).map(lambda n: good[:n]),  # truncated anywhere
        st.tuples(st.integers(0, len(good) - 1), st.binary(min_size=1, max_size=8)).map(
            lambda t: good[: t[0]] + t[1] + good[t[0] + len(t[1]):]),  # a few bytes overwritten
    )


def test_no_traceback_from_any_project_yaml(world):
    @FUZZ
    @given(content=_project_yaml(world), argv=st.sampled_from([
        ["status"], ["status", "--json"], ["logs"], ["stop"], ["run", "train"], ["set", "a=1"],
        ["export-script"], ["logs", "train"]]))
    def inner(content, argv):
        (world.project / "project.yaml").write_bytes(content)
        try:
            full = [*argv, "--project", str(world.project)]
            _check(world.call(full), full)
        finally:
            world.restore_project()

    inner()


MOUNTS = [b"\x00\x01binary", '{"Mounts": []}'.encode("utf-16"), b"[" * 100000 + b"]" * 100000,
          b'{"Mounts": [], "DockerOptions": {"shm_size": "lots"}}', b'{"Mounts": 5}', b"[]", b"null",
          b'{"Mounts": [{"source": 1, "destination": null}]}', b'{"Envs": [{"variable": "A", "value": 3}]}',
          b'{"DockerOptions": {"ulimits": {"memlock": "x"}, "user": "nobody-here"}}', b"{" * 5]


def test_no_traceback_from_any_tao_mounts_json(world):
    mounts = world.home / ".tao_mounts.json"

    @FUZZ
    @given(content=st.one_of(st.sampled_from(MOUNTS), st.binary(max_size=100),
                             st.sampled_from(["dir", "unreadable"])),
           argv=st.sampled_from([["doctor"], ["run", "dataset_convert", "--skip-checks"]]))
    def inner(content, argv):
        if mounts.is_dir():
            mounts.rmdir()
        elif mounts.exists():
            mounts.chmod(0o600)
            mounts.unlink()
        if content == "dir":
            mounts.mkdir()
        elif content == "unreadable":
            mounts.write_text("{}")
            mounts.chmod(0)
        else:
            mounts.write_bytes(content)
        full = [*argv, "--project", str(world.project)] if argv[0] == "run" else argv
        try:
            _check(world.call(full), full)
        finally:
            world.restore_project()

    inner()


SPEC_BODIES = [b"a {\n" * 5000, b"num_epochs: " + b"9" * 5000 + b"\n", BILLION_LAUGHS.encode(),
               b"\xff\xfe\x00", b'"unterminated', b"a: [\n", b"{\"a\": " + b"[" * 100000]


def test_no_traceback_from_any_spec_or_log(world):
    folder = world.base / "content"
    folder.mkdir(exist_ok=True)

    @FUZZ
    @given(content=st.one_of(st.sampled_from(SPEC_BODIES), st.binary(max_size=300), SAFE_TEXT.map(str.encode)),
           suffix=st.sampled_from([".txt", ".yaml", ".json", ".log", ".prototxt"]),
           argv=st.sampled_from([["spec", "check"], ["spec", "show"], ["spec", "diff"], ["progress"],
                                 ["progress", "--json"]]))
    def inner(content, suffix, argv):
        path = folder / f"f{suffix}"
        path.write_bytes(content)
        full = [*argv, str(path)]
        _check(world.call(full), full)

    inner()


def test_no_traceback_from_any_run_log_or_events(world):
    run_dir = world.project / "runs" / "train-20260101-000000-abcd"

    @FUZZ
    @given(log=st.binary(max_size=300), events=st.binary(max_size=300),
           argv=st.sampled_from([["logs", "train"], ["logs", "train", "--timestamps"], ["status"],
                                 ["status", "--json"]]))
    def inner(log, events, argv):
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "log").write_bytes(log)
        (run_dir / "events.jsonl").write_bytes(events)
        (run_dir / "run.json").write_text('{"run_id": "train-20260101-000000-abcd", "stage": "train", '
                                          '"container_id": null, "command": "x", "image": "i", "started": 1}')
        (run_dir / "result.json").write_text('{"exit_code": 0, "status": "done"}')
        full = [*argv, "--project", str(world.project)]
        try:
            _check(world.call(full), full)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    inner()


# ---------------------------------------------------------------- a closed pipe

def test_a_closed_pipe_ends_quietly(tmp_path):
    spec = tmp_path / "s.txt"
    spec.write_text("".join(f"a{i}: {i}\n" for i in range(20000)))
    for argv in (["spec", "show", str(spec)], ["catalog"], ["progress", str(spec)]):
        proc = subprocess.run(f"{sys.executable} -m tao_tui.cli {' '.join(argv)} | head -1", shell=True,
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
