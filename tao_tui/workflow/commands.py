"""One stage + project -> the `tao ...` line the user sees AND the argv run in the container.

The shown line is what the user would type with NVIDIA's launcher for the project's
TAO version (3.x/4.x: ``tao <network> <task>``; 5.x+: ``tao model <network> <task>``),
with the key always shown as ``$KEY``. The container argv is the same command without
the launcher prefix (TAO containers expose each network as an entry point).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tao_tui.errors import UserError
from tao_tui.specs.netdef import ArgGroup, StageDef
from tao_tui.workflow.stages import Pipeline, version_tuple

KEY_SHOWN = "$KEY"
_KEY_TOKEN = "{key}"


@dataclass(frozen=True)
class StageCommand:
    stage: str
    network: str
    task: str
    args: tuple[str, ...]  # with "{key}" where the key goes
    prefix: tuple[str, ...]  # ("tao", "model", "detectnet_v2")
    results: str  # container path of the stage's results folder
    # "stage.output" of each input named by a glob (epoch_*.pth) that no file matches yet
    pending: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The exact `tao` line, copyable, the key shown as $KEY. While an input is still
        ``pending`` the line says which stage makes it: ``# needs train's model (run train first)``."""
        tokens = [*self.prefix, self.task, *self.args]
        line = " ".join(_show(t) for t in tokens)
        if self.pending:
            line += "  # " + self.pending_note
        return line

    @property
    def pending_note(self) -> str:
        """'' when every input is concrete; else which stage will produce what."""
        if not self.pending:
            return ""
        parts = [f"{p.partition('.')[0]}'s {p.partition('.')[2]} (run {p.partition('.')[0]} first)"
                 for p in self.pending]
        return "needs " + ", ".join(parts) + ": a glob until that stage has made the file"

    @property
    def runnable(self) -> bool:
        return not self.pending

    def argv(self, key: str | None) -> list[str]:
        """What runs in the container; the real key is put in only here, in memory.
        UserError while an input is ``pending`` (a glob would reach the container)."""
        if self.pending:
            stages = ", ".join(dict.fromkeys(p.partition(".")[0] for p in self.pending))
            raise UserError(
                f"stage {self.stage} cannot run yet: it {self.pending_note}",
                f"run {stages} first; its newest output file is then passed here",
                field="stage",
            )
        return [self.network, self.task, *(_with_key(a, key) for a in self.args)]

    @property
    def needs_key(self) -> bool:
        return any(_KEY_TOKEN in a for a in self.args)


def _show(token: str) -> str:
    if _KEY_TOKEN in token:
        return shlex.quote(token.replace(_KEY_TOKEN, "KEY_PLACEHOLDER")).replace("KEY_PLACEHOLDER", KEY_SHOWN)
    return shlex.quote(token)


def _with_key(token: str, key: str | None) -> str:
    return token.replace(_KEY_TOKEN, key or "")


def launcher_prefix(network: str, version: tuple[int, ...], group: str = "model") -> tuple[str, ...]:
    return ("tao", network) if version < (5,) else ("tao", group, network)


def default_args(pipe: Pipeline, stage: StageDef) -> list[str]:
    """The CLI style of the network when network.yaml gives no args for a stage."""
    args: list[str] = []
    if pipe.net.cli == "hydra" and pipe.version >= version_tuple(pipe.net.hydra_since):
        if stage.spec:
            args += ["-e", "{spec}"]
        args.append("results_dir={results}")
        if pipe.net.key_field:  # encryption_key; pointpillars: key; none where the schema has no key
            args.append(f"{pipe.net.key_field}={{key}}")
        return args
    if stage.spec:
        args += ["-e", "{spec}"]
    args += ["-r", "{results}", "-k", "{key}"]
    return args


# How a train stage's container entrypoint learns the GPU count, per framework (network.yaml's
# ``gpu_args`` replaces it). Hydra overrides (``a=b``) are added only for more than one GPU: with
# one, NVIDIA's spec value (1) already says it.
#  * tf1: ``--gpus N`` is in each network.yaml's train args (NVIDIA/tao_tensorflow1_backend:
#    nvidia_tao_tf1/cv/common/entrypoint/entrypoint.py parses --gpus; multi-GPU only for train).
#  * pyt 5.0-5.3: the per-network entrypoints parse ``--gpus`` into ``train.num_gpus``
#    (NVIDIA/tao_pytorch_backend@v5.0.0: nvidia_tao_pytorch/cv/dino/entrypoint/dino.py); 5.5+:
#    ``core/entrypoint.py launch`` takes the process count from ``num_gpus=``/``gpu_ids=``
#    overrides, else from the spec's ``<task>.num_gpus`` (tao_pytorch_backend@tao_5.5_release, main).
#  * tf2 5.0-5.3: entrypoint ``-g/--gpus`` (NVIDIA/tao_tensorflow2_backend@b199b1c:
#    nvidia_tao_tf2/common/entrypoint/entrypoint.py); 5.5+: top-level ``num_gpus``
#    (tao_tensorflow2_backend@tao_5.5_release: nvidia_tao_tf2/cv/efficientdet/config/default_config.py).
DEFAULT_GPU_ARGS: dict[str, tuple[ArgGroup, ...]] = {
    "tf1": (),
    "pyt": (
        ArgGroup(("--gpus", "{gpus}"), until="5.5"),
        ArgGroup(("train.num_gpus={gpus}", "train.gpu_ids={gpu_ids}"), since="5.5"),
    ),
    "tf2": (
        ArgGroup(("--gpus", "{gpus}"), until="5.5"),
        ArgGroup(("num_gpus={gpus}",), since="5.5"),
    ),
}
GPU_TASKS = ("train",)


def _active(groups, version: tuple[int, ...]) -> list[str]:
    raw: list[str] = []
    for group in groups:
        if group.since and version < version_tuple(group.since):
            continue
        if group.until and version >= version_tuple(group.until):
            continue
        raw.extend(group.args)
    return raw


def gpu_args(pipe: Pipeline, stage: StageDef, given: list[str]) -> list[str]:
    """The arguments that give ``stage`` the project's GPU count (empty when ``given`` already has
    them, for non-train stages, and for hydra overrides with one GPU). Shapes: ``["--gpus", "2"]`` or
    ``["train.num_gpus=2", "train.gpu_ids=[0,1]"]``."""
    if stage.task not in GPU_TASKS:
        return []
    groups = pipe.net.gpu_args if pipe.net.gpu_args is not None else DEFAULT_GPU_ARGS[pipe.net.framework]
    out: list[str] = []
    for group in groups:
        if not _active((group,), pipe.version):
            continue
        names = [a.split("=", 1)[0] for a in group.args if "=" in a and not a.startswith("-")]
        if names and pipe.gpu_count() == 1:
            continue
        taken = {a.split("=", 1)[0] for a in given if "=" in a and not a.startswith("-")}
        if any(a.startswith("-") and a in given for a in group.args) or any(n in taken for n in names):
            continue
        out += [pipe.resolve(a, stage) for a in group.args]
    return out


def build_command(pipe: Pipeline, stage_id: str, *, have_key: bool) -> StageCommand:
    """The command of ``stage_id``. ``have_key``: whether a key will be given at run time.

    An input that is an earlier stage's glob output (``{train.model}`` = ``.../epoch_*.pth``) is the
    newest matching file once there is one; until then the command is ``pending`` (shown, not run).
    """
    if pipe.net.cli == "contract":  # TAO 7: NVIDIA's contract command, shown as its `docker run` line
        from tao_tui.catalog import contract_skill
        from tao_tui.workflow.tao7 import build_contract_command

        row = contract_skill(pipe.net.name, pipe.project.tao_version) or {}
        return build_contract_command(pipe, stage_id, tokens=tuple(row.get("required_credentials") or ()))
    stage = pipe.stage(stage_id)
    raw = default_args(pipe, stage) if stage.args is None else _active(stage.args, pipe.version)
    pending: list[str] = []
    args = [pipe.resolve(a, stage, pending=pending) for a in raw]
    given = {a.split("=", 1)[0] for a in args if "=" in a and not a.startswith("-")}
    args += [o for o in pipe.overrides(stage, pending) if o.split("=", 1)[0] not in given]
    args += gpu_args(pipe, stage, args)
    if not have_key and stage_id in pipe.net.key_required:
        raise UserError(
            f"stage {stage_id} of {pipe.net.name} needs the encryption key at TAO {pipe.project.tao_version}: "
            "its script requires --key",
            "export KEY=<your key> (any string you keep; later stages need the same), or pass --key-file FILE",
            field="KEY",
        )
    args = _drop_empty_key(args, have_key=have_key, version=pipe.version, stage=stage_id)
    return StageCommand(
        stage=stage_id,
        network=pipe.net.task_name,
        task=stage.task,
        args=tuple(args),
        prefix=launcher_prefix(pipe.net.task_name, pipe.version),
        results=pipe.results_container(stage_id),
        pending=tuple(dict.fromkeys(pending)),
    )


def _drop_empty_key(args: list[str], *, have_key: bool, version: tuple[int, ...], stage: str) -> list[str]:
    if have_key or not any(_KEY_TOKEN in a for a in args):
        return args
    if version < (5,):
        raise UserError(
            f"stage {stage} needs the encryption key: TAO 3.x/4.x encrypts every model with it",
            "export KEY=<your key> (the key of the NGC model card, e.g. tlt_encode, or your own), "
            "or pass --key-file FILE",
            field="KEY",
        )
    out: list[str] = []
    skip = False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a == "-k" and i + 1 < len(args) and args[i + 1] == _KEY_TOKEN:
            skip = True
            continue
        if _KEY_TOKEN in a:  # hydra: encryption_key={key}
            continue
        out.append(a)
    return out
