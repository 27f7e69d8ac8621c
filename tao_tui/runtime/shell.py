"""An interactive shell in a project's TAO container: what `tao <task>` with no sub-task does in
NVIDIA's launcher (it opens the task's container interactively with the mounts of
``~/.tao_mounts.json``; NVIDIA's TAO Launcher documentation).

The container gets exactly what the project's stages get (its mounts, user, env, shm size,
ulimits, no network when the project says so; ``StageRunner._run_spec``) and is removed on
exit. The argv is for the ``docker`` CLI, run in the foreground with the terminal (the wizard
suspends meanwhile): an interactive TTY is the CLI's job, not the SDK's. The key is never
passed: a shell user exports it themselves if a command needs it.
"""

from __future__ import annotations

import shutil

from tao_tui.errors import EnvironmentProblem
from tao_tui.project import Project

SHELL = ["sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash || exec sh"]


def shell_argv(project: Project, stage: str | None = None, docker: str = "docker") -> list[str]:
    """``docker run -it --rm ...`` argv (list of str, never a shell string) for an interactive
    shell in ``project``'s image, labelled with the project (and ``stage`` when given).

    Raises UserError when the project has no image; EnvironmentProblem when ``docker`` (the
    CLI) is not on PATH."""
    from tao_tui.runtime.runner import LABEL_PROJECT, LABEL_STAGE, StageRunner

    runner = StageRunner(project)
    labels = {LABEL_PROJECT: project.id, "tao-tui.shell": "1"}
    if stage:
        labels[LABEL_STAGE] = stage
    spec = runner._run_spec(runner.image(), SHELL, labels)
    exe = shutil.which(docker)
    if exe is None:
        raise EnvironmentProblem(
            f"the `{docker}` command is not on PATH: the shell runs in the Docker CLI",
            "install the Docker CLI (e.g. `apt-get install docker.io`) or open the shell yourself with "
            "the command `tao-tui` shows (c copies it)",
        )
    argv = [exe, "run", "-it", "--rm", "--init"]
    for name, value in sorted(spec.labels.items()):
        argv += ["--label", f"{name}={value}"]
    for m in spec.mounts:
        argv += ["--mount", f"type=bind,source={m.source},target={m.target}" + (",readonly" if m.read_only else "")]
    if spec.user:
        argv += ["--user", spec.user]
    for name, value in sorted(spec.env.items()):
        if name == "KEY":
            continue  # never the key
        argv += ["--env", f"{name}={value}"]
    if spec.gpus is not None:
        gpus = spec.gpus
        if isinstance(gpus, list | tuple):
            gpus = '"device=' + ",".join(str(g) for g in gpus) + '"'
        argv += ["--gpus", str(gpus)]
    if spec.shm_size:
        argv += ["--shm-size", str(spec.shm_size)]
    for name, limit in (spec.ulimits or {}).items():
        if isinstance(limit, dict):
            limit = f"{limit.get('soft', limit.get('Soft'))}:{limit.get('hard', limit.get('Hard'))}"
        argv += ["--ulimit", f"{name}={limit}"]
    if not spec.network:
        argv += ["--network", "none"]
    argv += ["--workdir", project.to_container(project.root)]
    argv += [spec.image, *spec.argv]
    return argv
