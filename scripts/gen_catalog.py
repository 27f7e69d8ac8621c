#!/usr/bin/env python3
"""Refresh tao_tui/data/launcher/ from launcher catalogs and check networks.yaml covers them.

Usage:
    python scripts/gen_catalog.py [SOURCE_DIR]     # default: ../shared/reference/launcher-config

SOURCE_DIR holds ``<launcher-version>.json`` (the ``config/config.json`` of the PyPI wheel
``nvidia-tao==<launcher-version>``) and optionally ``<launcher-version>-deploy.json``
(``config_deploy.json``). The deploy files of format 3 launchers (5.x/6.x) are stale leftovers
(their real deploy list is the ``deploy`` task group inside config.json), so they are skipped.

After copying, every task name of every catalog must have an entry in networks.yaml; the
script lists the missing ones and exits 1 so a new launcher release cannot slip in unnoticed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tao_tui" / "data"


def task_names(config: dict) -> set[str]:
    groups = config.get("task_group") or {None: config}
    names: set[str] = set()
    for group in groups.values():
        for tags in (group.get("dockers") or {}).values():
            for entry in tags.values():
                names.update(entry.get("tasks") or ())
    return names


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "reference" / "launcher-config"
    out = DATA / "launcher"
    out.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    for path in sorted(source.glob("*.json")):
        config = json.loads(path.read_text(encoding="utf-8"))
        if path.stem.endswith("-deploy"):
            main_cfg = source / (path.stem[: -len("-deploy")] + ".json")
            if main_cfg.is_file() and "task_group" in json.loads(main_cfg.read_text(encoding="utf-8")):
                print(f"skip {path.name} (stale: format 3 launchers carry deploy in config.json)")
                continue
        shutil.copyfile(path, out / path.name)
        names |= task_names(config)
        print(f"copied {path.name}")
    known = yaml.safe_load((DATA / "networks.yaml").read_text(encoding="utf-8"))
    described = set(known.get("networks") or {})
    missing = sorted(names - described)
    if missing:
        print("networks.yaml lacks: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"networks.yaml describes all {len(names)} task names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
