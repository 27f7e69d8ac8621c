"""`tao-tui doctor [--json]`: check this machine (engine, GPU runtime, login, mounts, disk).

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


def _project_checks(root: str) -> list:
    """The project's pre-flight findings as doctor checks (same pass/warn/fail and fix)."""
    import os

    from tao_tui.preflight import preflight
    from tao_tui.project import Project
    from tao_tui.runtime.doctor import Check

    findings = preflight(Project.load(root), key_set=bool(os.environ.get("KEY")))
    return [Check("project", f.level, f.what, f.fix) for f in findings]


def run(args: argparse.Namespace) -> int:
    from tao_tui.runtime.doctor import exit_code, run_checks

    checks = run_checks()
    if getattr(args, "project", None):
        checks += _project_checks(args.project)
    code = exit_code(checks)
    if getattr(args, "json", False):
        print(json.dumps({"ok": code == 0, "checks": [c.to_dict() for c in checks]}, indent=2))
        return code
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{MARK[c.status]}  {c.name.ljust(width)}  {c.detail}")
        if c.fix and c.status != "pass":
            print(f"      {' ' * width}  fix: {c.fix}")
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    print(f"\n{failed} failed, {warned} warning(s), {len(checks) - failed - warned} passed")
    return code
