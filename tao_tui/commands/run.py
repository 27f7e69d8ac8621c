"""`tao-tui run STAGE`: run (or re-attach to) a workflow stage in its TAO container."""

from __future__ import annotations

import argparse
import shlex
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("stage", help="stage id, e.g. dataset_convert, train, evaluate, prune, retrain, export")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("--image", help="use this container image (saved in project.yaml)")
    p.add_argument("--key-file", help="file holding the encryption key (default: $KEY)")
    p.add_argument("--pull", action="store_true", help="pull the image first (needs `docker login nvcr.io`)")
    p.add_argument("--detach", action="store_true", help="start it and return; follow later with `logs -f`")
    p.add_argument("--quiet", action="store_true", help="don't print the log lines, only the result")
    p.add_argument("--fresh", action="store_true",
                   help="move an earlier run's results aside and start over (default: TAO resumes from them)")
    p.add_argument("--skip-checks", action="store_true",
                   help="start even when pre-flight finds problems (dataset, paths, pretrained model)")


def _show_pull(p) -> None:
    """One self-updating line on stderr while the image downloads."""
    total = f"{p.done_bytes / 2**20:,.0f}/{p.total_bytes / 2**20:,.0f} MiB" if p.total_bytes else ""
    sys.stderr.write(f"\rpulling: {p.layers_done}/{p.layers_total} layers {total} {p.status[:30]:<30}")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner, check_image, preflight_gate, read_key
    from tao_tui.workflow.create import image_for

    project = Project.load(args.project)
    runner = StageRunner(project)
    runner.pipe.stage(args.stage)  # a clear error for an unknown stage before touching the engine
    if args.image is not None:
        image = check_image(args.image) or image_for(project.network, project.tao_version)
        if image != project.image:  # saved only once valid; --image "" goes back to the catalog's
            with Project.locked(project.root) as project:
                project.image = image
            runner = StageRunner(project)
    key = read_key(args.key_file)  # a bad --key-file is said before the engine is asked anything
    for note in runner.recover(args.stage):  # what a crash (kill -9, SSH drop) left, adopted or cleaned up
        print(f"note: {note}", file=sys.stderr)
    run_id = runner.unfinished_run(args.stage)
    where = shlex.quote(str(project.root))
    if run_id and args.detach:
        print(f"{args.stage} is already running (run {run_id}); follow it with: "
              f"tao-tui logs -f {shlex.quote(args.stage)} --project {where}", file=sys.stderr)
        return 0
    if run_id:
        print(f"re-attaching to {args.stage} run {run_id} (still in its container)", file=sys.stderr)
    else:
        if not args.skip_checks:
            for finding in preflight_gate(project, args.stage, key_set=bool(key)):
                print(finding, file=sys.stderr)
        leftovers = runner.leftovers(args.stage)
        if leftovers and not args.fresh:
            print(f"note: results/{args.stage} holds an earlier run ({', '.join(leftovers[:4])}"
                  f"{', …' if len(leftovers) > 4 else ''}): TAO resumes from its last checkpoint; "
                  "pass --fresh to start over", file=sys.stderr)
        record = runner.start(args.stage, key, pull=args.pull, on_pull=_show_pull, fresh=args.fresh)
        run_id = record.run_id
        print(f"$ {record.command}", file=sys.stderr)
        print(f"started {args.stage} run {run_id}", file=sys.stderr)
        if args.detach:
            print(f"follow it with: tao-tui logs -f {args.stage} --project {where}", file=sys.stderr)
            return 0

    def sink(lines, events):
        if not args.quiet:
            sys.stdout.write("".join(line + "\n" for line in lines))
            sys.stdout.flush()

    try:
        code = runner.attach(run_id, sink)
    except AlreadyAttached:  # e.g. the wizard's follower process: show its log until the result
        from tao_tui.commands.logs import tail_until_result, write_log_lines

        tail_until_result(project.run_dir(run_id), 0, (lambda data: None) if args.quiet else write_log_lines)
        code = None
        runner.project = Project.load(project.root)
    st = runner.project.stages[args.stage]
    print(f"{args.stage}: {st.status}" + (f" ({st.message})" if st.message else ""), file=sys.stderr)
    return 0 if st.status == "done" else (code or 1)
