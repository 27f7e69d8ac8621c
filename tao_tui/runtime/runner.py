"""Run a project's stage in its container, record every line, and re-attach after a drop.

One process at a time writes a run's log: the follower holds an exclusive ``flock`` on
``runs/<id>/.follow.lock``. Another process that finds the lock taken only tails the file.
When the follower dies (SSH drop, SIGKILL), the container keeps running; the next
``tao-tui run``/``logs -f``/UI start finds it by its labels and follows on from the last
timestamp in the log file: no line lost, none doubled.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shlex
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tao_tui.errors import TaoTuiError, UserError
from tao_tui.progress import ProgressEvent, ProgressParser
from tao_tui.project import Project, atomic_write, atomic_write_json, fault_point, run_stage
from tao_tui.runtime.errors import ContainerGone
from tao_tui.runtime.tail import strip_ts
from tao_tui.workflow.commands import StageCommand, build_command
from tao_tui.workflow.create import render_specs
from tao_tui.workflow.stages import Pipeline

LABEL_PROJECT = "tao-tui.project"
LABEL_STAGE = "tao-tui.stage"
LABEL_RUN = "tao-tui.run"
PYTORCH_SHM = "16G"

EventSink = Callable[[list[str], list[ProgressEvent]], None]


class AlreadyAttached(UserError):
    """Another tao-tui process is following this run."""


class StageAlreadyRunning(UserError):
    """A second run of a stage that is running or being started (one run per project stage).

    ``stage``: the stage id; ``run_id``: the run in progress (``None`` while another process
    is still starting it)."""

    def __init__(self, stage: str, run_id: str | None):
        self.stage, self.run_id = stage, run_id
        what = f"run {run_id}" if run_id else "a run another tao-tui process is starting right now"
        super().__init__(
            f"stage {stage} is already running ({what}); one run of a stage at a time",
            f"follow it with `tao-tui logs -f {shlex.quote(stage)}`, or stop it with `tao-tui stop {shlex.quote(stage)}` "
            "and start it again",
            field="stage",
        )


@dataclass
class RunRecord:
    run_id: str
    stage: str
    container_id: str | None
    command: str  # the `tao` line, key shown as $KEY
    image: str
    started: float


# Docker's reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest]
_IMAGE_RE = re.compile(
    r"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)


def check_image(image: str) -> str | None:
    """``--image`` checked against Docker's reference grammar (``[registry/]name[:tag][@digest]``,
    lower-case name); ``""`` -> ``None`` (back to the catalog's image). UserError naming the rule."""
    image = image.strip()
    if not image:
        return None
    first = image.split("/", 1)[0]
    domain = "/" in image and ("." in first or ":" in first or first == "localhost")
    if len(image) > 512 or not _IMAGE_RE.match(image) or (not domain and first != first.lower()):
        raise UserError(
            f"{image[:80]!r} is not a container image reference",
            "write it as [registry/]name[:tag], lower-case, e.g. nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5; "
            'pass --image "" to go back to the catalog\'s image',
            field="--image",
        )
    return image


def read_key(key_file: str | None = None) -> str | None:
    """The encryption key: --key-file (UTF-8 text, first line), else $KEY. Never stored anywhere by
    tao-tui. UserError naming ``--key-file`` for an unreadable, binary, huge or empty file."""
    if key_file is not None:
        from tao_tui.project import read_text_file

        if not key_file.strip():
            raise UserError("--key-file is an empty string", "pass the path of the file holding the key",
                            field="--key-file")
        text = read_text_file(Path(key_file).expanduser(), what="the key file", max_bytes=64 << 10)
        key = text.strip()
        if not key or "\n" in key or "\0" in key:
            raise UserError(f"{key_file} must hold the key on one line (it holds {len(text)} characters)",
                            "put only the key in it", field="--key-file")
        return key
    key = os.environ.get("KEY") or None
    if key and ("\n" in key or "\0" in key):
        raise UserError("$KEY holds a line break", "set KEY to the key alone", field="KEY")
    return key


def preflight_gate(project: Project, stage: str, *, key_set: bool):
    """Pre-flight checks of ``stage``; fetches a missing pretrained model when the NGC CLI is
    installed. Raises UserError listing every failure (each with its fix); returns the warnings."""
    from tao_tui.preflight import failures, preflight_stage
    from tao_tui.runtime import ngc

    findings = preflight_stage(project, stage, key_set=key_set)
    bad = failures(findings)
    fetch = [f for f in bad if f.download]
    if fetch and ngc.available():
        for f in fetch:
            ngc.download(*f.download)
        findings = preflight_stage(project, stage, key_set=key_set)
        bad = failures(findings)
    if bad:
        listing = "\n".join(str(f) for f in bad)
        raise UserError(f"pre-flight found {len(bad)} problem(s) before starting {stage}:\n{listing}",
                        "fix them (each says how), or start anyway with `tao-tui run --skip-checks`")
    return [f for f in findings if f.level == "warn"]


def _read_record(run_dir: Path) -> dict | None:
    """run.json of a run, or None when it is missing or unreadable (a crash before it was written)."""
    try:
        data = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _give_to_container_user(results: Path, user: str | None) -> None:
    """``new --user UID:GID`` run as root: the stage's results folder belongs to the container's user,
    so TAO can write there (else: "exit code 0 but outputs missing")."""
    if not user or os.geteuid() != 0:
        return
    uid, _, gid = user.partition(":")
    if not uid.isdigit():
        return
    try:
        os.chown(results, int(uid), int(gid) if gid.isdigit() else -1)
    except OSError:
        pass


def _result_code(run_dir: Path) -> int | None:
    try:
        code = json.loads((run_dir / "result.json").read_text(encoding="utf-8")).get("exit_code")
    except (OSError, ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _labels(project: Project, stage: str, run_id: str | None = None) -> dict[str, str]:
    labels = {LABEL_PROJECT: project.id, LABEL_STAGE: stage}
    if run_id:
        labels[LABEL_RUN] = run_id
    return labels


@contextmanager
def follow_lock(run_dir: Path) -> Iterator[None]:
    run_dir.mkdir(parents=True, exist_ok=True)
    fh = open(run_dir / ".follow.lock", "a+")  # noqa: SIM115
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyAttached(
                f"another tao-tui process is already following run {run_dir.name}",
                "watch it with `tao-tui logs -f`; it records the result itself",
            ) from None
        yield
    finally:
        fh.close()


STAGE_LOCK_WAIT_S = 30.0


@contextmanager
def stage_lock(runs_dir: Path, stage_id: str, *, wait_s: float = STAGE_LOCK_WAIT_S) -> Iterator[None]:
    """Exclusive ``flock`` on ``runs/.stage-<stage>.lock`` while a run of the stage is looked for,
    recorded, created and started; the same lock for the CLI and the app (and any process).

    Waits up to ``wait_s`` seconds for another process's start to finish, then raises
    ``StageAlreadyRunning(stage, None)``. The kernel drops the lock when its holder dies."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    fh = open(runs_dir / f".stage-{stage_id}.lock", "a+")  # noqa: SIM115
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StageAlreadyRunning(stage_id, None) from None
                time.sleep(0.05)
        yield
    finally:
        fh.close()


class StageRunner:
    """Starts, follows, re-attaches and records the runs of one project."""

    def __init__(self, project: Project, engine=None):
        self.project = project
        self.pipe = Pipeline.for_project(project)
        self._engine = engine

    @property
    def engine(self):
        if self._engine is None:
            from tao_tui.runtime.engine import Engine

            self._engine = Engine.connect()
        return self._engine

    # ------------------------------------------------------------------ commands
    def command(self, stage_id: str, *, have_key: bool) -> StageCommand:
        return build_command(self.pipe, stage_id, have_key=have_key)

    def image(self) -> str:
        if not self.project.image:
            raise UserError(
                f"no container image known for {self.project.network} in TAO {self.project.tao_version}",
                f"set one: `tao-tui set --image IMAGE --project {shlex.quote(str(self.project.root))}`",
                field="image",
            )
        return self.project.image

    # ------------------------------------------------------------------ discovery
    def containers(self, stage_id: str | None = None):
        labels = {LABEL_PROJECT: self.project.id}
        if stage_id:
            labels[LABEL_STAGE] = stage_id
        return self.engine.find(labels)

    def unfinished(self, stage_id: str | None = None) -> list[str]:
        """Run ids (of ``stage_id``, or of every stage) whose container exists and whose result is
        not recorded yet: the runs to re-attach to."""
        runs = []
        for info in self.containers(stage_id):
            rid = info.labels.get(LABEL_RUN)
            run_dir = self.project.run_dir(rid) if rid else None
            if run_dir and (run_dir / "run.json").exists() and not (run_dir / "result.json").exists():
                runs.append(rid)
        return runs

    # ------------------------------------------------------------------ start
    def leftovers(self, stage_id: str) -> list[str]:
        """Files an earlier run left in the stage's results folder (TAO resumes from them)."""
        results = self.project.results_dir(stage_id)
        if not results.is_dir():
            return []
        return sorted(p.name for p in results.iterdir() if not p.name.startswith("status"))

    def unfinished_run(self, stage_id: str) -> str | None:
        """The run of ``stage_id`` to re-attach to, if any."""
        runs = self.unfinished(stage_id)
        return runs[0] if runs else None

    def start(
        self, stage_id: str, key: str | None, *, pull: bool = False, on_pull=None, fresh: bool = False
    ) -> RunRecord:
        """Start a run of ``stage_id``. A results folder with files from an earlier run is kept, so
        TAO resumes from its last checkpoint (pitfall P10); ``fresh`` moves it aside first.

        One run per project stage: under ``stage_lock`` it adopts or cleans up what a crashed start
        left, refuses with ``StageAlreadyRunning`` when a run of the stage is running or being
        started, records ``runs/<id>/run.json`` *before* the container exists (labelled with the
        run id, so a crash between the two is found again), then creates and starts it."""
        stage = self.pipe.stage(stage_id)
        image = self.image()
        if self.pipe.net.cli == "contract":  # TAO 7: deploy actions run in the release's deploy image
            from tao_tui.workflow.tao7 import stage_image

            image = stage_image(self.pipe, stage_id) or image
        if pull:
            self.engine.pull(image, on_pull)  # outside the lock: it can take an hour
        with stage_lock(self.project.runs_dir, stage_id):
            self._recover_locked(stage_id)
            running = self.unfinished_run(stage_id)
            if running:
                raise StageAlreadyRunning(stage_id, running)
            for info in self.containers(stage_id):  # finished runs of this stage: their logs are on disk
                if info.status in ("exited", "dead", "created"):
                    self.engine.remove(info.id)
            missing = self.pipe.missing_inputs(stage)
            if missing:
                raise UserError(
                    f"stage {stage_id} needs " + ", ".join(missing) + ", which is not there yet",
                    "run the earlier stages first (`tao-tui status` shows which are done)",
                    field="stage",
                )
            cmd = self.command(stage_id, have_key=bool(key))
            render_specs(self.project)  # inputs now exist: point the specs at the real files
            self.engine.ensure_image(image, self.project.root)

            run_id = self.project.new_run_id(stage_id)
            run_dir = self.project.run_dir(run_id)
            run_dir.mkdir(parents=True)
            results = self.project.results_dir(stage_id)
            if fresh and results.is_dir() and any(results.iterdir()):
                results.rename(results.with_name(f"{stage_id}.before-{run_id}"))
            results.mkdir(parents=True, exist_ok=True)
            _give_to_container_user(results, self.project.user)
            # a fresh run in a used folder: old status.json lines would confuse progress
            status = results / "status.json"
            if status.exists():
                status.rename(results / f"status.{int(time.time())}.json")

            # the key never enters the container's config: argv holds a marker, the key goes to the
            # container's stdin (engine.KEY_WRAPPER)
            from tao_tui.runtime.engine import KEY_MARKER

            spec = self._run_spec(image, cmd.argv(KEY_MARKER if key else None),
                                  _labels(self.project, stage_id, run_id))
            spec.key = key or None
            # `docker ps` says whose it is: tao-tui-<run id>-<project id> (not a random name)
            spec.name = re.sub(r"[^a-zA-Z0-9_.-]", "-", f"tao-tui-{run_id}-{self.project.id[:6]}")
            record = RunRecord(run_id, stage_id, None, cmd.display, image, time.time())
            atomic_write_json(run_dir / "run.json", record.__dict__)
            fault_point("start:recorded")
            try:
                container_id = self.engine.start(spec)
            except TaoTuiError as err:  # recorded, so `logs`/`status` say why (not "lost the connection")
                self._record_lost(stage_id, run_id, f"the container did not start: {err.message}", claim=True)
                raise
            fault_point("start:started")
            record.container_id = container_id
            atomic_write_json(run_dir / "run.json", record.__dict__)
            with Project.locked(self.project.root) as fresh_project:
                st = fresh_project.stage(stage_id)
                st.status, st.run_id, st.exit_code, st.started, st.finished, st.message = (
                    "running", run_id, None, record.started, None, None
                )  # fmt: skip
            self.project = fresh_project
        return record

    # ------------------------------------------------------------------ recovery
    def recover(self, stage_id: str | None = None) -> list[str]:
        """Adopt or clean up what a crashed (kill -9, SSH drop) start or a removed container left,
        for ``stage_id`` or every stage; returns one line per repair, for the user.

        A stage being started by another process right now is skipped (its lock is held)."""
        stages = [stage_id] if stage_id else [s.id for s in self.pipe.stages]
        notes: list[str] = []
        for sid in stages:
            try:
                with stage_lock(self.project.runs_dir, sid, wait_s=0):
                    notes += self._recover_locked(sid)
            except StageAlreadyRunning:
                continue
        return notes

    def _open_runs(self, stage_id: str) -> list[tuple[str, dict]]:
        """(run id, run.json) of the stage's runs that have no result.json."""
        out = []
        if not self.project.runs_dir.is_dir():
            return out
        for run_dir in self.project.runs_dir.iterdir():
            if run_stage(run_dir.name) != stage_id or (run_dir / "result.json").exists():
                continue
            record = _read_record(run_dir)
            if record is not None:
                out.append((run_dir.name, record))
        return out

    def _recover_locked(self, stage_id: str) -> list[str]:
        notes: list[str] = []
        by_run: dict[str, list] = {}
        for info in self.containers(stage_id):
            rid = info.labels.get(LABEL_RUN)
            if rid:
                by_run.setdefault(rid, []).append(info)
        for run_id, record in self._open_runs(stage_id):
            run_dir = self.project.run_dir(run_id)
            found = by_run.pop(run_id, [])
            if not found:
                if record.get("container_id"):
                    why = "its container was removed before its result was recorded (docker rm?)"
                else:
                    why = "tao-tui was stopped while starting it; its container never started"
                self._record_lost(stage_id, run_id, why)
                notes.append(f"{stage_id} run {run_id}: {why}")
                continue
            info = found[0]
            if info.status == "created":  # created, never started: the start was cut short
                self.engine.remove(info.id)
                why = "tao-tui was stopped while starting it; its container never started"
                self._record_lost(stage_id, run_id, why)
                notes.append(f"{stage_id} run {run_id}: {why}")
                continue
            if record.get("container_id") != info.id:
                record["container_id"] = info.id
                atomic_write_json(run_dir / "run.json", record)
                notes.append(f"{stage_id} run {run_id}: found its container {info.id[:12]} again")
            with Project.locked(self.project.root) as fresh_project:
                st = fresh_project.stage(stage_id)
                if st.run_id != run_id and (st.started or 0) <= float(record.get("started") or 0):
                    st.status, st.run_id, st.exit_code, st.started, st.finished, st.message = (
                        "running", run_id, None, record.get("started"), None, None
                    )  # fmt: skip
            self.project = fresh_project
        for run_id, infos in by_run.items():  # containers whose run folder is gone
            if (self.project.run_dir(run_id) / "result.json").exists():
                continue
            info = infos[0]
            if info.status == "created":
                self.engine.remove(info.id)
                continue
            record = RunRecord(run_id, stage_id, info.id, "(recovered: the run folder was missing)",
                               info.image, time.time())
            atomic_write_json(self.project.run_dir(run_id) / "run.json", record.__dict__)
            notes.append(f"{stage_id} run {run_id}: its run folder was missing; recorded it again")
        return notes

    def _record_lost(self, stage_id: str, run_id: str, why: str, *, claim: bool = False) -> None:
        """A run that will never report: result.json says why; project.yaml too if it names it (or
        ``claim``: it becomes the stage's latest run, failed)."""
        result = {"stage": stage_id, "run_id": run_id, "exit_code": None, "status": "failed",
                  "message": why, "outputs": {}, "finished": time.time()}
        atomic_write_json(self.project.run_dir(run_id) / "result.json", result)
        with Project.locked(self.project.root) as fresh_project:
            st = fresh_project.stage(stage_id)
            if claim or (st.run_id == run_id and st.status == "running"):
                st.status, st.run_id, st.exit_code, st.finished, st.message = (
                    "failed", run_id, None, result["finished"], why
                )  # fmt: skip
        self.project = fresh_project

    def _run_spec(self, image: str, argv: list[str], labels: dict[str, str]):
        """The container of a stage: the project's mounts, then ~/.tao_mounts.json (NVIDIA's launcher
        file: its Mounts, Envs and DockerOptions apply here too, as they do for `tao`)."""
        from tao_tui.runtime.engine import Mount, RunSpec
        from tao_tui.runtime.mounts import load_mounts

        mounts = [Mount(m.source, m.destination, m.read_only) for m in self.project.all_mounts()]
        env: dict[str, str] = {}
        options: dict = {}
        launcher = load_mounts()
        if launcher is not None:
            taken = {m.target for m in mounts}
            mounts += [m for m in launcher.engine_mounts() if m.target not in taken]
            env.update(launcher.env())
            options = launcher.run_options()
        env.update(self.project.env)
        return RunSpec(
            image=image,
            argv=argv,
            labels=labels,
            mounts=mounts,
            env=env,
            user=self.project.user or options.get("user") or f"{os.getuid()}:{os.getgid()}",
            gpus=self._gpus(),
            shm_size=options.get("shm_size") or (PYTORCH_SHM if self.pipe.net.cli == "hydra" else None),
            ulimits=options.get("ulimits"),
            network=self.project.container_network and options.get("network", True),
            network_mode=options.get("network_mode"),
            privileged=bool(options.get("privileged")),
            tty=bool(options.get("tty")),
            ports=options.get("ports"),
            project_dir=str(self.project.root),
        )

    def _gpus(self):
        if os.environ.get("TAO_TUI_NO_GPU") == "1":
            return None
        if self.project.gpu_index:
            return list(self.project.gpu_index)
        return self.project.gpus or None

    # ------------------------------------------------------------------ follow
    def attach(self, run_id: str, sink: EventSink | None = None, stop=None) -> int | None:
        """Follow run ``run_id`` to its end and record the result; returns the exit code.

        ``stop`` (a threading.Event): when set, return ``None`` at once with the log on disk up to
        date, the container untouched and nothing recorded (the wizard quitting; a later attach
        goes on from there). A file that cannot be written (disk full: the log, events.jsonl, the
        result) stops the following with ``EnvironmentProblem`` naming it; the container runs on,
        nothing is recorded, and the next attach (``tao-tui logs -f``) goes on from the log on disk."""
        try:
            return self._attach(run_id, sink, stop)
        except OSError as err:
            raise _write_failed(err, self.project, run_stage(run_id) or run_id, run_id) from None

    def _attach(self, run_id: str, sink: EventSink | None, stop) -> int | None:
        run_dir = self.project.run_dir(run_id)
        record = _read_record(run_dir)
        if record is None:
            raise UserError(
                f"run {run_id} has no readable {run_dir / 'run.json'}",
                "`tao-tui status` lists the runs; start the stage again with `tao-tui run STAGE`",
                field="run",
            )
        with follow_lock(run_dir):
            if (run_dir / "result.json").exists():
                return _result_code(run_dir)
            if not record.get("container_id"):  # a start cut short: find its container by label
                self.recover(record["stage"])
                record = _read_record(run_dir) or record
                if (run_dir / "result.json").exists():
                    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
                    raise UserError(
                        f"{record['stage']} run {run_id} did not run: {result.get('message')}",
                        f"start it again: `tao-tui run {shlex.quote(str(record['stage']))}`",
                        field="run",
                    )
            parser = ProgressParser(epoch_base=self.pipe.status_epoch_base())  # X8: per TAO version
            events_path = run_dir / "events.jsonl"
            log_path = run_dir / "log"
            feed_lines, dumps = parser.feed_lines, json.dumps
            status = StatusTail(self.project.results_dir(record["stage"]))
            errors: list[ProgressEvent] = []
            # follow the container first; the events of what is already on disk (after a drop) are
            # rebuilt behind it, in a thread: new lines reach the sink at once, their events once
            # the history is parsed (then events.jsonl = history + new, in order)
            history = _History(log_path, parser)
            history.start()
            events_fh = None

            def publish(lines: list[str], events: list[ProgressEvent]) -> None:
                if events:
                    try:
                        events_fh.write("".join([dumps(e.to_dict()) + "\n" for e in events]))
                        events_fh.flush()
                    except OSError as err:  # rebuilt from the log by the next attach
                        raise OSError(err.errno, err.strerror, str(events_path)) from err
                    errors.extend(e for e in events if e.kind == "error")
                if sink and (lines or events):
                    sink(lines, events)

            def catch_up() -> None:
                """Once the history is parsed: events.jsonl rewritten, then the held batches' events."""
                nonlocal events_fh
                replay = history.wait()
                atomic_write(events_path, "".join(dumps(e.to_dict()) + "\n" for e in replay))
                errors.extend(e for e in replay if e.kind == "error")
                events_fh = events_path.open("a", encoding="utf-8")
                for held in history.held:
                    publish([], feed_lines(held))
                history.held = []

            def on_lines(lines: list[str]) -> None:
                if events_fh is None:
                    if not history.done.is_set():
                        history.held.append(lines)  # shown now, parsed after the history
                        if sink:
                            sink(lines, [])
                        return
                    catch_up()
                events = feed_lines(lines)  # the whole batch in one call
                events += status.events(parser)  # status.json: max_epoch, ETA, KPIs, FAILURE text
                publish(lines, events)

            try:
                try:
                    exit_code = self.engine.follow(record["container_id"], log_path, on_lines, stop=stop)
                except ContainerGone as gone:
                    if events_fh is None:
                        catch_up()
                    publish([], status.events(parser) + parser.flush())
                    why = (f"its container was removed before it finished (docker rm?); "
                           f"the log up to then is in {log_path}")
                    self._record_lost(record["stage"], run_id, why)
                    raise UserError(f"{record['stage']} run {run_id} failed: {why}",
                                    f"start it again: `tao-tui run {shlex.quote(str(record['stage']))}`",
                                    field="run") from gone
                if events_fh is None:
                    catch_up()
                if exit_code is None and stop is not None and stop.is_set():
                    return None
                publish([], status.events(parser) + parser.flush())
            finally:
                if events_fh is not None:
                    try:
                        events_fh.close()
                    except OSError:
                        if sys.exc_info()[1] is None:  # else the first error is the one to tell
                            raise
            self._record(record["stage"], run_id, exit_code, errors[-1] if errors else None)
            # log and result are safe on disk: the finished container goes (its stored config is
            # the last copy of the run's settings Docker keeps)
            self.engine.remove(record["container_id"])
            return exit_code

    def _record(self, stage_id: str, run_id: str, exit_code: int, error: ProgressEvent | None = None) -> None:
        run_dir = self.project.run_dir(run_id)
        stage = self.pipe.stage(stage_id)
        missing = self.pipe.missing_outputs(stage) if exit_code == 0 else []
        if exit_code == 0 and not missing:
            missing = self._stale_outputs(stage, run_id)
        stopped = (run_dir / "stop-requested").exists()
        if stopped:
            status, message = "stopped", "stopped on request"
        elif exit_code != 0:
            status, message = "failed", f"the container exited with code {exit_code}"
            if error is not None and error.message:
                message += f": {error.message}" + (f" (fix: {error.fix})" if error.fix else "")
        elif missing:
            status, message = (
                "failed",
                "exit code 0 but these outputs are missing or empty: " + ", ".join(missing),
            )
        else:
            status, message = "done", None
        outputs = {}
        if status == "done":
            outputs = {name: self.pipe.output_path(stage_id, name) for name in stage.outputs}
        result = {
            "stage": stage_id,
            "run_id": run_id,
            "exit_code": exit_code,
            "status": status,
            "message": message,
            "outputs": outputs,
            "finished": time.time(),
        }
        # project.yaml may have changed meanwhile (another stage): update this stage only, under the lock;
        # before result.json, which ends the run: a write that fails (disk full) between the two
        # leaves the run open, and the next attach records it again
        with Project.locked(self.project.root) as fresh:
            st = fresh.stage(stage_id)
            if st.run_id in (None, run_id):
                st.status, st.run_id, st.exit_code, st.finished, st.message, st.outputs = (
                    status, run_id, exit_code, result["finished"], message, outputs
                )  # fmt: skip
        atomic_write_json(run_dir / "result.json", result)
        self.project = fresh
        self.pipe = Pipeline.for_project(fresh)

    def _stale_outputs(self, stage, run_id: str) -> list[str]:
        """Outputs of ``stage`` that exist but are older than the run's start (an earlier run left them:
        this run did not write them). Each as "<container path> (older than this run)"."""
        record = _read_record(self.project.run_dir(run_id)) or {}
        started = record.get("started")
        if not isinstance(started, (int, float)):
            return []
        stale = []
        for name in stage.outputs:
            try:
                cpath = self.pipe.output_path(stage.id, name)
                host = self.project.to_host(cpath)
                paths = [host] if host.is_file() else [p for p in host.rglob("*") if p.is_file()] if host.is_dir() \
                    else [Path(p) for p in glob.glob(str(host))]
                newest = max((p.stat().st_mtime for p in paths), default=None)
            except (UserError, OSError):
                continue
            if newest is not None and newest < started - 2:  # 2 s: filesystem timestamp granularity
                stale.append(f"{cpath} (older than this run: an earlier run wrote it)")
        return stale

    # ------------------------------------------------------------------ stop
    def stop(self, stage_id: str | None = None, timeout: float = 10) -> list[str]:
        stopped = []
        for info in self.containers(stage_id):
            if info.status not in ("running", "created", "restarting", "paused"):
                continue
            run_id = info.labels.get(LABEL_RUN)
            if run_id:
                atomic_write(self.project.run_dir(run_id) / "stop-requested", "")
            self.engine.stop(info.id, timeout=timeout)
            stopped.append(run_id or info.id)
        return stopped


def _write_failed(err: OSError, project: Project, stage: str, run_id: str) -> TaoTuiError:
    """A file of a followed run that could not be written (disk full…), said with what is safe: the
    container runs on, and ``logs -f`` resumes from the log on disk (the engine keeps the rest)."""
    from tao_tui.errors import EnvironmentProblem, from_os_error

    problem = from_os_error(err, f"following {stage} run {run_id}", after=(
        "its container is left as it is (running or finished), and nothing was recorded"))
    resume = f"tao-tui logs -f {shlex.quote(stage)} --project {shlex.quote(str(project.root))}"
    return EnvironmentProblem(problem.message, f"{problem.fix}: `{resume}` goes on from the last line on disk "
                                               "(none lost, none doubled) and records the result")


class _History:
    """The events of a run log's first ``size`` bytes (what was there before following began),
    parsed in a thread while the container is already followed. ``held``: the new batches that
    arrived meanwhile (their events come after the history's)."""

    def __init__(self, log_path: Path, parser: ProgressParser):
        self.size = log_path.stat().st_size if log_path.exists() else 0
        self.log_path, self.parser = log_path, parser
        self.events: list[ProgressEvent] = []
        self.held: list[list[str]] = []
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="history", daemon=True)

    def start(self) -> None:
        if self.size:
            self._thread.start()
        else:
            self.done.set()

    def _run(self) -> None:
        try:
            with self.log_path.open("rb") as fh:
                data = fh.read(self.size)
            feed = self.parser.feed_line
            for raw in data.decode("utf-8", errors="replace").split("\n"):
                if raw:
                    self.events.extend(feed(strip_ts(raw)))
        finally:
            self.done.set()

    def wait(self) -> list[ProgressEvent]:
        self.done.wait()
        return self.events


class StatusTail:
    """New complete lines of a stage's status.json (TF1: <results>/status.json, PyTorch:
    <results>/<task>/status.json), read from where the last read stopped; a partial last line
    waits until the container finishes writing it."""

    def __init__(self, results: Path):
        self.results = results
        self.pos: dict[Path, int] = {}

    def _files(self) -> list[Path]:
        found = [self.results / "status.json"]
        if self.results.is_dir():
            found += sorted(self.results.glob("*/status.json"))
        return [f for f in found if f.is_file()]

    def lines(self) -> list[str]:
        out: list[str] = []
        for path in self._files():
            start = self.pos.get(path, 0)
            try:
                if path.stat().st_size <= start:
                    continue
                with path.open("rb") as fh:
                    fh.seek(start)
                    data = fh.read()
            except OSError:
                continue
            end = data.rfind(b"\n") + 1
            self.pos[path] = start + end
            out += data[:end].decode("utf-8", errors="replace").splitlines()
        return out

    def events(self, parser: ProgressParser) -> list[ProgressEvent]:
        events: list[ProgressEvent] = []
        for line in self.lines():
            events.extend(parser.feed_status_line(line))
        return events
