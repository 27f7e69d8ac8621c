"""`tao-tui new`: create a project with no prompts (for scripts and CI)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

from tao_tui.errors import UserError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", required=True, help="TAO network, e.g. detectnet_v2 (see `tao-tui catalog`)")
    p.add_argument("--dir", required=True, help="the project folder to create")
    p.add_argument("--tao-version", help="TAO version (default: the newest that has the network)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="change a safe parameter, e.g. training_config.num_epochs=80 (repeatable)")
    p.add_argument("--classes", metavar="SRC:TARGET,...",
                   help="class mapping, e.g. car:car,truck:car,pedestrian:pedestrian (names lower-case)")
    p.add_argument("--dataset", help="host folder with your images and labels (mounted read-only)")
    p.add_argument("--image", help="container image to use instead of the catalog's (private mirror, tests)")
    p.add_argument("--gpus", type=int, default=1, help="number of GPUs (default 1)")
    p.add_argument("--user", help="UID:GID to run containers as (default: yours)")
    p.add_argument("--unlock", action="append", default=[], metavar="PATH",
                   help="expert: allow changing a locked parameter (recorded in the project)")
    p.add_argument("--yes", action="store_true", help="don't ask anything (required: this command never prompts)")


def parse_sets(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise UserError(f"--set {item!r} is not PATH=VALUE", "write e.g. --set training_config.num_epochs=80",
                            field="--set")
        out.append((path.strip(), value.strip()))
    return out


def _check_dir(value: str) -> None:
    """--dir: not empty, not a file, not under a file, on a writable filesystem (UserError naming it)."""
    import os

    if not value.strip():
        raise UserError("--dir is an empty string", "pass the folder to create, e.g. --dir ~/projects/kitti",
                        field="--dir")
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} exists and is not a folder", "pick a new folder name", field="--dir")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"{parent} is a file, so {path} cannot be created under it", "pick a folder elsewhere",
                        field="--dir")
    if not os.access(parent, os.W_OK | os.X_OK) or str(parent.resolve()).startswith(("/proc", "/sys")):
        raise UserError(f"can't create {path}: {parent} is not writable", "pick a folder you can write to",
                        field="--dir")
    try:
        read_only = bool(os.statvfs(parent).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise UserError(f"can't create {path}: {parent} is on a read-only filesystem",
                        "pick a folder on a writable disk", field="--dir")


def run(args: argparse.Namespace) -> int:
    from tao_tui.workflow.create import create_project, parse_classes

    if not args.yes:
        raise UserError("`tao-tui new` never prompts and needs --yes to go ahead",
                        "add --yes, or run `tao-tui` for the interactive wizard", field="--yes")
    _check_dir(args.dir)
    if args.user is not None and not re.fullmatch(r"\d+(:\d+)?", args.user.strip()):
        raise UserError(f"--user {args.user!r} is not UID:GID", "use numbers, e.g. --user \"$(id -u):$(id -g)\" "
                        "(a user name may not exist inside the TAO image)", field="--user")
    if args.tao_version is not None and not args.tao_version.strip():
        raise UserError("--tao-version is an empty string", "leave it out for the newest version, or pass e.g. 5.0.0",
                        field="--tao-version")
    if args.gpus < 1:
        raise UserError(f"--gpus must be at least 1 (got {args.gpus})", "pass --gpus 1 or more", field="--gpus")
    project = create_project(
        Path(args.dir),
        args.network,
        tao_version=args.tao_version,
        image=args.image,
        dataset=args.dataset,
        sets=parse_sets(args.set),
        classes=parse_classes(args.classes) if args.classes is not None else None,
        gpus=args.gpus,
        user=args.user,
        unlock=args.unlock,
    )
    for notice in project.notices:
        print(f"note: {notice}")
    if args.classes is not None:
        from tao_tui.workflow.create import format_classes

        print(f"classes: {format_classes(parse_classes(args.classes))}")
    from tao_tui.recent import remember

    remember(project.root)  # the wizard's start screen lists it
    print(f"created {project.network} project in {project.root} (TAO {project.tao_version}, image {project.image})")
    root = shlex.quote(str(project.root))
    print(f"next: tao-tui status --project {root}")
    from tao_tui.catalog import is_contract_version

    if is_contract_version(project.tao_version):  # TAO 7: no launcher; status shows each stage's docker run line
        print(f"TAO {project.tao_version} has no `tao` launcher: `tao-tui status --project {root}` shows "
              "each stage's `docker run` line")
    else:
        print("to run the same `tao` commands with NVIDIA's launcher: "
              f"cp {shlex.quote(str(project.root / 'tao_mounts.json'))} ~/.tao_mounts.json")
    return 0
