"""Command line: ``tao-tui`` opens the wizard; sub-commands serve scripts and CI.

Each sub-command lives in ``tao_tui/commands/<name>.py`` with ``add_arguments(parser)``
and ``run(args) -> int``; this module only wires them up; :func:`tao_tui.errors.report_errors`
turns whatever a command raises into one message and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tao_tui import __version__
from tao_tui.errors import report_errors

# name -> one line of help. Modules are imported only when their command runs,
# so `tao-tui` starts fast (no docker SDK import for `catalog`, etc.).
COMMANDS: dict[str, str] = {
    "catalog": "list every TAO network, its container image and sub-tasks",
    "spec": "check, show or diff a spec file (lossless, locked defaults marked)",
    "progress": "parse a TAO log or status.json into progress events",
    "new": "create a project without prompts",
    "set": "change safe values of a project (validated; specs rewritten)",
    "run": "run a workflow stage in its TAO container",
    "status": "show the stages of a project and their results",
    "logs": "print (or follow) a stage's log",
    "stop": "stop a running stage",
    "export-script": "write every stage's `tao` line, in order, as a bash script",
    "doctor": "check this machine: engine, GPU runtime, login, mounts, disk",
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (fast start, fault isolation)."""
    parser = argparse.ArgumentParser(
        prog="tao-tui",
        description="A terminal wizard for NVIDIA TAO Toolkit. Without a command it opens the wizard.",
    )
    parser.add_argument("--version", action="version", version=f"tao-tui {__version__}")
    parser.add_argument("--plain", action="store_true", help="plain prompts instead of the full-screen UI")
    parser.add_argument("--project", help="open this project folder in the wizard")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    args = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in args if not a.startswith("-")), None)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(f"tao_tui.commands.{name.replace('-', '_')}")
            module.add_arguments(p)
            p.set_defaults(_module=module)
    return parser


def _project_dir_form(argv: list[str]) -> list[str]:
    """``tao-tui DIR [options]`` (a folder, not a command) is ``tao-tui --project DIR [options]``."""
    for i, arg in enumerate(argv):
        if arg.startswith("-"):
            if arg in ("--project",):  # its value is not a command either
                return argv
            continue
        if arg not in COMMANDS:
            return [*argv[:i], "--project", arg, *argv[i + 1:]]
        return argv
    return argv


def main(argv: list[str] | None = None) -> int:
    argv = _project_dir_form(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(argv)
    args = parser.parse_args(argv)

    def dispatch() -> int:
        if args.command is None:
            return _interactive(args)
        code = int(args._module.run(args) or 0)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then handled below
        return code

    return report_errors(dispatch)


def _interactive(args: argparse.Namespace) -> int:
    if args.project is not None:
        _check_project_arg(args.project)
    if args.plain or not sys.stdin.isatty() or not sys.stdout.isatty():
        from tao_tui import prompts

        return prompts.main(project=args.project)
    from tao_tui.ui.app import run_app

    return run_app(project=args.project)


def _check_project_arg(text: str) -> None:
    """A folder given to open must be (inside) a project: say what is wrong and how to fix it."""
    from pathlib import Path

    from tao_tui.errors import UserError
    from tao_tui.recent import find_project_root

    path = Path(text).expanduser()
    if not text.strip():
        raise UserError("the project folder is empty", "give a folder, e.g. tao-tui ~/tao-projects/detectnet_v2",
                        field="--project")
    if not path.exists():
        raise UserError(f"{text} does not exist (and is not a tao-tui command)",
                        "check the folder, or see `tao-tui --help` for the commands", field="--project")
    if not path.is_dir() or find_project_root(path) is None:
        raise UserError(f"{text} is not a tao-tui project (no project.yaml in it or above it)",
                        "run `tao-tui` without a folder to create a project, or give a project's folder",
                        field="--project")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
