"""TAO 7 stages: NVIDIA's contract command inside the container, the `docker run` line shown for it.

TAO 7 has no `tao` launcher: a job is ``docker run`` of a TAO 7 image with the network's own command
inside (``dino train -e /workspace/spec.yaml``), as NVIDIA's model contracts declare it
(NVIDIA-TAO/tao-skill-bank@7.1.0 ``skills/models/<skill>/references/skill_info.yaml``: ``actions.<a>.command``
with ``{config_path}``; ``skills/platform/tao-run-on-local-docker``). Networks generated from those
contracts (scripts/gen_tao7.py) have ``cli: contract`` and a ``command`` on every stage; everything a
stage reads or writes (``results_dir``, earlier outputs, the GPU count at the contract's
``gpu_spec_key``) is written into its spec file, because the command takes nothing else.

No key: TAO 7's specs leave ``encryption_key`` empty (models are not encrypted), so tao-tui passes
none. Tokens a contract needs (``required_credentials``, e.g. HF_TOKEN) are shown as ``$NAME`` and
read from the user's environment by ``docker run -e NAME``; tao-tui never stores them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from tao_tui.errors import UserError
from tao_tui.workflow.commands import StageCommand
from tao_tui.workflow.stages import Pipeline

CONTRACT_CLI = "contract"
PYTORCH_SHM = "16G"  # what tao-tui's runner gives PyTorch containers (runtime/runner.py)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_contract(net: Any) -> bool:
    """Whether a NetworkDef runs from a TAO 7 model contract (``cli: contract``)."""
    return getattr(net, "cli", None) == CONTRACT_CLI


def command_words(command: str, config_path: str) -> list[str]:
    """NVIDIA's action command with ``{config_path}`` = ``config_path`` -> the container's argv.

    A command that is plain words (``dino train -e {config_path}``, ``bash -lc '... -e {config_path}'``)
    splits into argv without a shell; one that needs a shell outside quotes (``&&``, here-documents)
    runs as ``sh -c COMMAND`` with the path quoted. UserError when the command is not valid shell.
    """
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as err:
        raise UserError(f"the contract command {command!r} is not valid shell: {err}",
                        "regenerate the TAO 7 networks (scripts/gen_tao7.py)") from None
    if any(t and set(t) <= set("();<>|&") for t in tokens):
        return ["sh", "-c", command.replace("{config_path}", shlex.quote(config_path))]
    return [w.replace("{config_path}", config_path) for w in shlex.split(command)]


@dataclass(frozen=True)
class ContractCommand(StageCommand):
    """A TAO 7 stage: ``container_argv`` runs in ``image``; ``display`` is the equivalent ``docker run``."""

    container_argv: tuple[str, ...] = ()
    image: str = ""
    docker_line: str = ""
    tokens: tuple[str, ...] = ()  # environment variables the container reads (HF_TOKEN), never stored

    @property
    def display(self) -> str:
        return self.docker_line

    def argv(self, key: str | None) -> list[str]:
        """What runs in the container (TAO 7 takes no key: ``key`` is ignored)."""
        return list(self.container_argv)

    @property
    def needs_key(self) -> bool:
        return False


def stage_image(pipe: Pipeline, stage_id: str) -> str | None:
    """The image a stage runs in: its own (TAO 7 deploy actions: ``...-deploy``, from the contract)
    while the project uses the release's image; the project's image when the user chose another one
    (``--image``: every stage runs in it) or the stage names none."""
    from tao_tui.catalog import contract_skill

    own = pipe.stage(stage_id).image
    row = contract_skill(pipe.net.name, pipe.project.tao_version) or {}
    if own and (not pipe.project.image or pipe.project.image == row.get("image")):
        return own
    return pipe.project.image


def build_contract_command(pipe: Pipeline, stage_id: str, tokens: tuple[str, ...] = ()) -> ContractCommand:
    """The command of a ``cli: contract`` stage: argv from its ``command``, spec at its container path.

    ``tokens``: names of environment variables the contract needs (``required_credentials``)."""
    stage = pipe.stage(stage_id)
    if not stage.command or not stage.spec:
        raise UserError(f"{pipe.net.name} stage {stage_id} has no contract command or spec",
                        "regenerate the TAO 7 networks (scripts/gen_tao7.py)")
    argv = command_words(stage.command, pipe.spec_container(stage.spec))
    image = stage_image(pipe, stage_id) or ""
    return ContractCommand(
        stage=stage_id,
        network=pipe.net.task_name,
        task=stage.task,
        args=(),
        prefix=(),
        results=pipe.results_container(stage_id),
        container_argv=tuple(argv),
        image=image,
        docker_line=docker_run_line(pipe.project, image, argv, tokens=tokens),
        tokens=tuple(tokens),
    )


def docker_run_line(project: Any, image: str, argv: list[str], *, tokens: tuple[str, ...] = ()) -> str:
    """The ``docker run`` line equivalent to tao-tui's run of a TAO 7 stage, every word quoted.

    Mounts, user, extra environment, network and GPUs are the project's (``--gpus N``, or
    ``--gpus '"device=0,2"'`` for chosen GPUs);
    each token is ``-e NAME="$NAME"`` (its value stays in the user's environment). UserError when a
    token name is not an environment variable name.
    """
    words: list[str] = ["docker", "run", "--rm"]
    if project.gpu_index:
        words += ["--gpus", '"device=' + ",".join(str(i) for i in project.gpu_index) + '"']
    elif project.gpus:
        words += ["--gpus", str(project.gpus)]
    words += ["--shm-size", PYTORCH_SHM]
    if project.user:
        words += ["--user", str(project.user)]
    for m in project.all_mounts():
        words += ["-v", f"{m.source}:{m.destination}" + (":ro" if m.read_only else "")]
    for name, value in sorted((getattr(project, "env", None) or {}).items()):  # the project's extra env
        words += ["-e", f"{name}={value}"]
    if getattr(project, "container_network", True) is False:
        words += ["--network", "none"]
    line = " ".join(shlex.quote(w) for w in words)
    if project.user is None:
        line += ' --user "$(id -u):$(id -g)"'
    for name in tokens:
        if not _ENV_NAME.fullmatch(name):
            raise UserError(f"'{name}' is not an environment variable name", "regenerate the TAO 7 networks")
        line += f' -e {name}="${name}"'
    return line + " " + " ".join(shlex.quote(w) for w in [image, *argv])


def apply_gpus(project: Any, net: Any, docs: dict) -> None:
    """Write the project's GPU count at the contract's ``gpu_spec_key`` (``train.num_gpus``) of every spec
    that has it, and ``gpu_ids`` beside it as ``[0 .. N-1]`` (NVIDIA's schema: its length must equal
    num_gpus; inside the container the chosen GPUs are numbered from 0)."""
    key = getattr(net, "gpu_spec_key", None)
    if not key:
        return
    count = len(project.gpu_index) if project.gpu_index else int(project.gpus or 1)
    ids_key = key.rsplit(".", 1)[0] + ".gpu_ids" if "." in key else "gpu_ids"
    for doc in docs.values():
        if doc.has(key):
            doc.set(key, count)
            if doc.has(ids_key):
                try:
                    current = doc.get_list(ids_key)
                except (UserError, ValueError, TypeError):
                    continue
                if current != list(range(count)):
                    doc.set_list(ids_key, list(range(count)))


def token_problems(project: Any, net: Any) -> list[tuple[str, str, str]]:
    """(level, what, fix) for each token a TAO 7 contract needs (``required_credentials``, e.g. HF_TOKEN):
    tao-tui does not pass tokens into its containers (a container's environment is stored in Docker's
    config), so the stage can only fetch what needs the token when the user runs the shown line."""
    from tao_tui.catalog import contract_skill

    row = contract_skill(net.name, project.tao_version) or {}
    out = []
    for name in row.get("required_credentials") or ():
        out.append((
            "warn",
            f"{net.name}'s image reads {name} (NVIDIA's contract: required_credentials); tao-tui does not put "
            "tokens into its containers, where Docker would store them",
            f"if the stage fails to download, export {name} and run the stage's `docker run` line yourself "
            "(`tao-tui status` shows it; it passes -e NAME from your shell)",
        ))
    return out
