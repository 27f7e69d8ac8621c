"""`tao-tui export-script --project D`: every stage's exact `tao` line, in order, as a bash script.

The script runs with NVIDIA's launcher (``pip install nvidia-tao``), which reads its mounts from
``~/.tao_mounts.json`` (NVIDIA's TAO Launcher documentation): the script checks that file is the
project's ``tao_mounts.json`` and says how to put it there; it never overwrites it. The key comes
from ``$KEY`` at run time (``set -u`` stops the script when it is missing); it is never written.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path

SCRIPT_NAME = "tao-commands.sh"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("-o", "--output", help=f"where to write the script (default: <project>/{SCRIPT_NAME}; - prints it)")


def build_script(project) -> str:
    """The bash script's text for ``project`` (a tao_tui.project.Project): a header, then one
    ``tao`` line per stage of its pipeline in order (the same lines `tao-tui status` shows).

    A stage whose input is a glob its earlier stage resolves (``epoch_*.pth``) carries the
    note tao-tui shows; such a line needs the real file name once that stage has run."""
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.create import LAUNCHER_MOUNTS
    from tao_tui.workflow.stages import Pipeline

    pipe = Pipeline.for_project(project)
    commands = [build_command(pipe, stage.id, have_key=True) for stage in pipe.stages]
    mounts = project.root / LAUNCHER_MOUNTS
    q = shlex.quote
    lines = [
        "#!/usr/bin/env bash",
        f"# Every stage of the tao-tui project {project.root} ({project.network}, TAO {project.tao_version}),",
        "# in order, exactly as tao-tui runs them. Needs NVIDIA's launcher (pip install nvidia-tao).",
        "set -euo pipefail",
        "",
    ]
    if any(c.needs_key for c in commands):
        lines += [': "${KEY:?set KEY to your encryption key first: export KEY=...}"', ""]
    lines += [
        "# NVIDIA's launcher reads its mounts from ~/.tao_mounts.json: it must be this project's file",
        f"if ! cmp -s {q(str(mounts))} ~/.tao_mounts.json; then",
        "  printf '%s\\n' \"~/.tao_mounts.json is not this project's mounts; copy it first:\" >&2",
        f"  printf '  cp %q ~/.tao_mounts.json\\n' {q(str(mounts))} >&2",
        "  exit 2",
        "fi",
        "",
    ]
    for cmd in commands:
        lines.append(f"# {cmd.stage}")
        if cmd.pending:
            lines.append(f"# note: {cmd.pending_note}")
        line = cmd.display.split("  # ", 1)[0] if cmd.pending else cmd.display
        line = re.sub(r"(?<=\s)\$KEY(?=\s|$)", '"$KEY"', line)  # a key with odd characters stays one word
        lines += [line, ""]
    return "\n".join(lines)


def write_script(project, output: str | os.PathLike[str] | None = None) -> Path:
    """Write the script (executable, atomically) to ``output`` or ``<project>/tao-commands.sh``;
    returns its path."""
    from tao_tui.project import atomic_write

    path = Path(output) if output else project.root / SCRIPT_NAME
    atomic_write(path, build_script(project))
    path.chmod(0o755)
    return path


def run(args: argparse.Namespace) -> int:
    from tao_tui.project import Project

    project = Project.load(args.project)
    if args.output == "-":
        print(build_script(project))
        return 0
    path = write_script(project, args.output)
    print(f"wrote {path}: run it with `KEY=... bash {shlex.quote(str(path))}`")
    return 0
