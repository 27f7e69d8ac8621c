"""`tao-tui doctor [--json] [--project DIR]`: check this machine (engine, GPU runtime, login, mounts, disk)
and, with --project, the project's dataset (the same summary the wizard shows) and pre-flight.

Exit code 0 when nothing failed (warnings allowed), 2 when a check failed.
"""

from __future__ import annotations

import argparse
import json

MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--project", help="also run the pre-flight checks of this project (dataset, paths, "
                        "pretrained model); nothing is started")


def _project_checks(root: str, scan=None) -> list:
    """The project's pre-flight findings as doctor checks (same pass/warn/fail and fix)."""
    import os

    from tao_tui.preflight import preflight
    from tao_tui.project import Project
    from tao_tui.runtime.doctor import Check

    findings = preflight(Project.load(root), key_set=bool(os.environ.get("KEY")), scan=scan)
    return [Check("project", f.level, f.what, f.fix) for f in findings]


def _project_scan(root: str):
    """The project's dataset scan (tao_tui.dataset.DatasetScan), or None without a dataset."""
    from tao_tui.preflight import project_scan
    from tao_tui.project import Project

    return project_scan(Project.load(root))


def run(args: argparse.Namespace) -> int:
    from tao_tui.runtime.doctor import exit_code, run_checks

    project = None
    if getattr(args, "project", None):
        from tao_tui.project import Project

        project = Project.load(args.project)
    # a TAO 7 project: its release's and model's host minimums must hold (fail, not warn)
    checks = run_checks(tao_version=project.tao_version if project else None,
                        network=project.network if project else None)
    scan = None
    if getattr(args, "project", None):
        scan = _project_scan(args.project)
        checks += _project_checks(args.project, scan)
    code = exit_code(checks)
    if getattr(args, "json", False):
        data = {"ok": code == 0, "checks": [c.to_dict() for c in checks]}
        if scan is not None:
            data["dataset"] = {
                "root": str(scan.root), "format": scan.format, "layout": scan.layout, "splits": scan.splits,
                "images": scan.images, "labels": scan.labels, "classes": dict(scan.classes.most_common()),
                "sampled": scan.sampled, "problems": [vars(p) for p in scan.problems],
                "summary": scan.summary_lines(),
            }
        print(json.dumps(data, indent=2))
        return code
    if scan is not None:
        print("\n".join(scan.summary_lines()) + "\n")
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{MARK[c.status]}  {c.name.ljust(width)}  {c.detail}")
        if c.fix and c.status != "pass":
            print(f"      {' ' * width}  fix: {c.fix}")
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    print(f"\n{failed} failed, {warned} warning(s), {len(checks) - failed - warned} passed")
    return code
