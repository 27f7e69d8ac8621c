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
from tao_tui.specs.netdef import StageDef
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

    @property
    def display(self) -> str:
        """The exact `tao` line, copyable, the key shown as $KEY."""
        tokens = [*self.prefix, self.task, *self.args]
        return " ".join(_show(t) for t in tokens)

    def argv(self, key: str | None) -> list[str]:
        """What runs in the container; the real key is put in only here, in memory."""
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
    if pipe.net.cli == "hydra" and pipe.version >= (5,):
        if stage.spec:
            args += ["-e", "{spec}"]
        args.append("results_dir={results}")
        args.append("encryption_key={key}")
        return args
    if stage.spec:
        args += ["-e", "{spec}"]
    args += ["-r", "{results}", "-k", "{key}"]
    return args


def build_command(pipe: Pipeline, stage_id: str, *, have_key: bool) -> StageCommand:
    """The command of ``stage_id``. ``have_key``: whether a key will be given at run time."""
    stage = pipe.stage(stage_id)
    if stage.args is None:
        raw = default_args(pipe, stage)
    else:
        raw = []
        for group in stage.args:
            if group.since and pipe.version < version_tuple(group.since):
                continue
            if group.until and pipe.version >= version_tuple(group.until):
                continue
            raw.extend(group.args)
    args = [pipe.resolve(a, stage) for a in raw]
    given = {a.split("=", 1)[0] for a in args if "=" in a and not a.startswith("-")}
    args += [o for o in pipe.overrides(stage) if o.split("=", 1)[0] not in given]
    args = _drop_empty_key(args, have_key=have_key, version=pipe.version, stage=stage_id)
    return StageCommand(
        stage=stage_id,
        network=pipe.net.task_name,
        task=stage.task,
        args=tuple(args),
        prefix=launcher_prefix(pipe.net.task_name, pipe.version),
        results=pipe.results_container(stage_id),
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
