"""Stages of a network's workflow and how each stage's outputs feed the next.

A :class:`Pipeline` is the network.yaml stages bound to one project: every
placeholder (``{results}``, ``{train.model}``, ...) resolves to a container path,
and every output can be checked on the host through the project's mounts.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from tao_tui.errors import UserError
from tao_tui.project import CONTAINER_DATA, CONTAINER_ROOT, Project
from tao_tui.specs.downloaded import NVIDIA_SPECS_DIR, downloaded_files
from tao_tui.specs.netdef import NetworkDef, StageDef, project_network

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:([.:])([^{}]+))?\}")
GLOB_CHARS = set("*?[")


def version_tuple(version: str) -> tuple[int, ...]:
    """'5.0.0' -> (5, 0, 0); 'v3.22.05' -> (3, 22, 5)."""
    parts = re.findall(r"\d+", version)
    return tuple(int(p) for p in parts) or (0,)


def framework_of(net: NetworkDef) -> str:
    return "tf1" if net.cli == "flags" and net.spec_format == "prototxt" else "other"


@dataclass(frozen=True)
class Pipeline:
    project: Project
    net: NetworkDef

    @classmethod
    def for_project(cls, project: Project) -> Pipeline:
        net = project_network(project)
        if net.specs == "download":
            _render_downloaded(project, net)
        return cls(project, net)

    @property
    def stages(self) -> tuple[StageDef, ...]:
        return self.net.stages

    def stage(self, stage_id: str) -> StageDef:
        return self.net.stage(stage_id)

    @property
    def version(self) -> tuple[int, ...]:
        return version_tuple(self.project.tao_version)

    # ------------------------------------------------------------------ paths
    def spec_container(self, spec_name: str) -> str:
        return f"{CONTAINER_ROOT}/specs/{spec_name}"

    def results_container(self, stage_id: str) -> str:
        return f"{CONTAINER_ROOT}/results/{stage_id}"

    def pretrained_container(self) -> str:
        """Where the NGC CLI puts the pretrained model in the project: <model>_v<version>/<file>."""
        pre = self.net.pretrained
        if not pre:
            raise UserError(f"{self.net.name} names no pretrained model but its args use {{pretrained}}")
        model, _, ver = pre.ngc.rpartition("/")[2].partition(":")
        return f"{CONTAINER_ROOT}/pretrained/{model}_v{ver}/{pre.file}".rstrip("/")

    def gpu_count(self) -> int:
        """GPUs the stage's container gets: len(gpu_index) when set, else ``gpus`` (>= 1)."""
        if self.project.gpu_index:
            return len(self.project.gpu_index)
        return max(1, int(self.project.gpus or 1))

    def gpu_ids(self) -> str:
        """The container's GPUs as the entrypoint numbers them: the engine gives the container only
        the project's GPUs, so inside they are 0..N-1 (``[0,1]``, hydra list syntax, no spaces:
        PyTorch's ``core/entrypoint.py launch`` reads ``gpu_ids=`` up to the next space)."""
        return "[" + ",".join(str(i) for i in range(self.gpu_count())) + "]"

    def status_epoch_base(self) -> int | None:
        """How this project's status.json counts epochs, for ``ProgressParser(epoch_base=...)``:
        1 for PyTorch 5.0-5.5 (the status logger increments its counter before writing, so ``epoch``
        is the count done and ``max_epoch`` the number of epochs: tao_pytorch_backend@v5.0.0
        ``nvidia_tao_pytorch/core/callbacks/loggers.py:113-116``, tao_5.5_release ``loggers.py:117,124``
        + ``core/lightning/tao_lightning_module.py:61``); 0 for PyTorch 6.x (0-based ``current_epoch``,
        ``max_epoch = max_epochs - 1``: release/6.0.0 ``core/callbacks/loggers.py:135-137``); None
        (detect from the lines) for TF1, TF2 and versions without public source."""
        if self.net.framework != "pyt" or self.net.cli != "hydra":
            return None
        if (5,) <= self.version < (6,):
            return 1
        if (6,) <= self.version < (7,):
            return 0
        return None

    def model_ext(self) -> str:
        if self.net.specs == "download":  # NeMo tasks of TAO 3.x/4.x: encrypted .tlt checkpoints
            return "tlt"
        if self.net.cli == "hydra":
            return "pth"
        return "tlt" if self.version < (5,) else "hdf5"

    def export_ext(self) -> str:
        if self.net.specs == "download":  # NeMo tasks: Riva's .riva (Jarvis' .ejrvs before TAO 3.21.08)
            return "riva" if self.version >= (3, 21, 8) else "ejrvs"
        if self.net.cli == "hydra":
            return "onnx"
        return "etlt" if self.version < (5,) else "onnx"

    def resolve(
        self, template: str, stage: StageDef, *, concrete: bool = True, pending: list[str] | None = None
    ) -> str:
        """Fill the placeholders of ``template`` for ``stage``.

        ``{key}`` stays as is (the caller decides between the real key and ``$KEY``).
        With ``concrete``, an earlier stage's output that is a glob resolves to the newest
        matching file on disk when there is one; when there is none yet and ``pending`` is given,
        ``(stage, output)`` goes into it as "<stage>.<output>" and the glob stays.
        """

        def sub(m: re.Match[str]) -> str:
            name, sep, rest = m.group(1), m.group(2), m.group(3)
            if sep == ".":
                path = self.output_path(name, rest, concrete=concrete and not self.producing(name))
                if concrete and pending is not None and GLOB_CHARS & set(path):
                    pending.append(f"{name}.{rest}")
                return path
            if sep == ":":
                if name == "spec":
                    return self.spec_container(rest)
                raise UserError(f"unknown placeholder {m.group(0)} in {self.net.name}'s network.yaml")
            if name == "spec":
                if not stage.spec:
                    raise UserError(f"stage {stage.id} has no spec but its args use {{spec}}")
                return self.spec_container(stage.spec)
            if name == "results":
                return self.results_container(stage.id)
            if name == "data":
                return CONTAINER_DATA
            if name == "nvidia_specs":  # where download_specs writes NVIDIA's spec files
                return f"{CONTAINER_ROOT}/{NVIDIA_SPECS_DIR}"
            if name == "model_ext":
                return self.model_ext()
            if name == "export_ext":
                return self.export_ext()
            if name == "gpus":
                return str(self.gpu_count())
            if name == "gpu_ids":
                return self.gpu_ids()
            if name == "pretrained":
                return self.pretrained_container()
            if name == "key":
                return "{key}"
            raise UserError(f"unknown placeholder {m.group(0)} in {self.net.name}'s network.yaml")

        return _PLACEHOLDER.sub(sub, template)

    def output_pattern(self, stage_id: str, name: str) -> str:
        stage = self.stage(stage_id)
        if name not in stage.outputs:
            raise UserError(f"stage {stage_id} of {self.net.name} has no output '{name}'")
        return self.resolve(stage.outputs[name], stage, concrete=False)

    def output_path(self, stage_id: str, name: str, *, concrete: bool = True) -> str:
        """Container path of an output; a glob becomes the newest existing match when ``concrete``."""
        pattern = self.output_pattern(stage_id, name)
        if concrete and GLOB_CHARS & set(pattern):
            matches = self._host_glob(pattern)
            if matches:
                newest = max(matches, key=lambda p: p.stat().st_mtime)
                return self.project.to_container(newest)
        return pattern

    def producing(self, stage_id: str) -> bool:
        """True while ``stage_id``'s recorded run is not done (running, failed, stopped): its glob
        outputs (epoch_*.pth) are not final, so later stages wait. A stage never run by tao-tui
        (no record, or pending) counts by its files alone (e.g. made with NVIDIA's launcher)."""
        st = self.project.stages.get(stage_id)
        return st is not None and st.status not in ("done", "pending")

    def _host_glob(self, container_pattern: str) -> list[Path]:
        host_pattern = str(self.project.to_host(container_pattern))
        return [Path(p) for p in glob.glob(host_pattern)]

    # ------------------------------------------------------------------ chaining
    def inputs_of(self, stage: StageDef) -> list[tuple[str, str]]:
        """(stage, output) pairs an argument template of ``stage`` reads."""
        refs: list[tuple[str, str]] = []
        for group in stage.args or ():
            for arg in group.args:
                for m in _PLACEHOLDER.finditer(arg):
                    if m.group(2) == "." and (m.group(1), m.group(3)) not in refs:
                        refs.append((m.group(1), m.group(3)))
        for earlier in self.stages:
            if earlier.id == stage.id:
                break
            for feed in earlier.feeds:
                if stage.spec and feed.spec == stage.spec:
                    for name, tmpl in earlier.outputs.items():
                        if self.resolve(tmpl, earlier, concrete=False) == self.resolve(
                            feed.value, earlier, concrete=False
                        ) and (earlier.id, name) not in refs:
                            refs.append((earlier.id, name))
        return refs

    def missing_inputs(self, stage: StageDef) -> list[str]:
        """Human-readable list of inputs that are not on disk yet."""
        missing = []
        for sid, name in self.inputs_of(stage):
            if not self.output_exists(sid, name):
                missing.append(f"{sid}'s {name} ({self.output_pattern(sid, name)})")
        return missing

    def output_exists(self, stage_id: str, name: str) -> bool:
        pattern = self.output_pattern(stage_id, name)
        paths = self._host_glob(pattern) if GLOB_CHARS & set(pattern) else [self.project.to_host(pattern)]
        return any(_non_empty(p) for p in paths)

    def missing_outputs(self, stage: StageDef) -> list[str]:
        return [
            self.output_pattern(stage.id, name)
            for name in stage.outputs
            if not self.output_exists(stage.id, name)
        ]

    def overrides(self, stage: StageDef, pending: list[str] | None = None) -> list[str]:
        """Hydra networks: earlier stages' outputs as ``key=value`` overrides of ``stage`` (what
        NVIDIA's notebooks pass, e.g. ``evaluate.checkpoint=.../train/dino_model_latest.pth``).
        An output named by a glob that no file matches yet goes into ``pending`` ("stage.output")."""
        if not self.net.uses_overrides or not stage.spec:
            return []
        out = []
        earlier = set()
        for st in self.stages:
            if st.id == stage.id:
                break
            earlier.add(st.id)
        for producer, spec, path, value, source in self._feeds():
            if spec != stage.spec or producer not in earlier:  # only what an earlier stage made
                continue
            if source and pending is not None and GLOB_CHARS & set(value) and source not in pending:
                pending.append(source)
            if path.endswith("[0]"):  # the first item of a list: the list of that one value
                out.append(f"{path[:-3]}=[{value}]")
            else:
                out.append(f"{path}={value}")
        return out

    def feed_values(self) -> list[tuple[str, str, str]]:
        """(spec file, spec path, container value) for every feed, resolved as far as the disk allows."""
        return [(spec, path, value) for _, spec, path, value, _ in self._feeds()]

    def _feeds(self) -> list[tuple[str, str, str, str, str | None]]:
        """(producing stage, *feed_values, "stage.output" when the value is exactly that output).

        A feed whose value is exactly an output of its stage names that file: a glob there
        (``epoch_*.pth``) becomes the newest match once one exists. A feed that differs from every
        output (``{results}/tfrecords/*``) is a pattern TAO itself expands and stays as written."""
        out = []
        for stage in self.stages:
            for feed in stage.feeds:
                value = self.resolve(feed.value, stage, concrete=False)
                source = None
                for name, tmpl in stage.outputs.items():
                    if self.resolve(tmpl, stage, concrete=False) == value:
                        value = self.output_path(stage.id, name, concrete=not self.producing(stage.id))
                        source = f"{stage.id}.{name}"
                out.append((stage.id, feed.spec, feed.path, value, source))
        return out


def _render_downloaded(project: Project, net: NetworkDef) -> None:
    """Once download_specs has written NVIDIA's files, the project's specs/ are rendered from them
    (the same way as from bundled templates) the first time the pipeline is looked at."""
    if not downloaded_files(project.root / NVIDIA_SPECS_DIR):
        return
    if all((project.specs_dir / name).is_file() for name in net.spec_files):
        return
    from tao_tui.workflow.create import render_specs

    render_specs(project)


def _non_empty(path: Path) -> bool:
    try:
        if path.is_dir():
            return any(path.iterdir())
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False
