"""`tao-tui catalog`: every TAO network, its container image and sub-tasks.

Text output is grouped by container image, like `tao info --verbose`; `--json` is for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys

GROUP_TITLES = {
    None: "tasks",
    "model": "task_group: model",
    "dataset": "task_group: dataset",
    "deploy": "task_group: deploy",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--version",
        dest="tao_version",
        metavar="V",
        help="TAO version (e.g. 5.0.0, 3.22.05) or launcher version (e.g. 0.1.24); default: the newest",
    )
    parser.add_argument("--network", metavar="N", help="show only this network (every task group it is in)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `tao-tui catalog | head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    from tao_tui.catalog import command_prefix, known_versions, load_catalog

    cat = load_catalog(args.tao_version)
    networks = cat.networks
    if args.network:
        networks = cat.find(args.network)
        if not networks:
            cat.network(args.network)  # raises the UserError with the fix
    out = sys.stdout
    if args.json:
        doc = {
            "tao_version": cat.version,
            "launcher_version": cat.launcher_version,
            "published_date": cat.published_date,
            "source": cat.source,
            "known_versions": known_versions(),
            "networks": [n.to_dict() for n in networks],
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0

    launcher = f"launcher nvidia-tao {cat.launcher_version}" if cat.launcher_version else "launcher"
    src = "bundled catalog" if cat.source == "bundled" else cat.source
    if cat.source.startswith("contracts:"):  # TAO 7: no launcher
        out.write(f"TAO Toolkit {cat.version} (no launcher; {src})\n")
        out.write("command: docker run [mounts, --gpus] <image> <network command> <action> -e <spec>\n")
    else:
        out.write(f"TAO Toolkit {cat.version} ({launcher}, published {cat.published_date or '?'}; {src})\n")
    if cat.source.startswith("contracts:"):
        pass
    elif cat.version_tuple < (5,):
        out.write("command: tao <network> <sub-task> [args]\n")
    else:
        out.write("command: tao model|dataset|deploy <network> <sub-task> [args]\n")
    for note in cat.notes:
        out.write(f"note: {note}\n")

    group = object()
    image = None
    count = 0
    for n in networks:
        if n.task_group != group:
            group, image = n.task_group, None
            out.write(f"\n{GROUP_TITLES.get(n.task_group, f'task_group: {n.task_group}')}\n")
        if n.image != image:
            image, count = n.image, 0
            out.write(f"  {n.image}\n")
        count += 1
        unchecked = ", not checked against NVIDIA's source" if n.verified is False else ""
        out.write(f"    {count:2d}. {n.name}  [{n.framework}, specs: {n.specs}{unchecked}]\n")
        out.write(f"        {n.description}\n")
        subs = ", ".join(n.subtasks) if n.subtasks else "(none: takes its arguments directly)"
        out.write(f"        sub-tasks: {subs}\n")
        if args.network:
            out.write(
                f"        command: {' '.join(command_prefix(n))} <sub-task> ...\n"
                if n.subtasks
                else f"        command: {' '.join(command_prefix(n))} ...\n"
            )
            out.write(f"        TAO versions: {', '.join(n.versions)}\n")
    return 0
