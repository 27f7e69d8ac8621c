"""Parameters tab benchmark: what opening the tab costs for a detectnet_v2 project, against the least
any view of the spec files must do, in the same run.

    .venv/bin/python bench/bench_param_tree.py [--rounds 5]

Input: a new detectnet_v2 project (TAO 5.0.0) with classes forklift/pallet/person and 8 epochs, so
class blocks, chained paths and lowered intervals are all rewritten.
Timings, best of ``--rounds``:
  baseline    parse the project's spec files and list every leaf (``load_spec`` + ``leaves``)
  provenance  ``project_paramset(project).describe()``: the templates, a dry-run render to learn what
              tao-tui rewrote, one Row per value with its provenance (runs in a worker thread)
  tree        ``build_tree`` + ``default_open`` + ``visible``: the nodes to show (UI thread)
  table       ``ParamTree._render_rows`` in a headless app at 80x24: filling the DataTable, with the
              default sections open and with every section open (UI thread)
The ratio is each time / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    from tao_tui.project import Project
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import project_network
    from tao_tui.ui.widgets.param_tree import build_tree, default_open, visible
    from tao_tui.workflow.create import create_project, project_paramset

    tmp = Path(tempfile.mkdtemp())
    try:
        root = tmp / "p"
        create_project(root, "detectnet_v2", tao_version="5.0.0", sets=[("training_config.num_epochs", "8")],
                       classes=[("forklift", "forklift"), ("pallet", "forklift"), ("person", "person")])
        project = Project.load(root)
        specs = [project.specs_dir / s for s in project_network(project).spec_files]

        def baseline():
            return [list(load_spec(p).leaves()) for p in specs]

        rows = project_paramset(project).describe()
        nodes = build_tree(rows)
        t_base = best(baseline, args.rounds)
        t_prov = best(lambda: project_paramset(Project.load(root)).describe(), args.rounds)
        t_tree = best(lambda: visible(build_tree(rows), default_open(build_tree(rows))), args.rounds)
        n_default = len(visible(nodes, default_open(nodes)))
        every = {n.key for n in _walk(nodes) if n.foldable}
        n_all = len(visible(nodes, every))
        t_default, t_all = asyncio.run(_table(root, every, args.rounds))

        print(f"python {platform.python_version()} on {platform.machine()}; {len(rows)} values in "
              f"{len(specs)} spec files; {n_default} rows shown by default, {n_all} with every section open")
        print(f"{'step':<34}{'ms':>9}{'ratio':>9}")
        for name, t in (("baseline: parse + list leaves", t_base), ("provenance (worker thread)", t_prov),
                        ("tree model (UI thread)", t_tree), (f"table fill, default ({n_default} rows)", t_default),
                        (f"table fill, all open ({n_all} rows)", t_all)):
            print(f"{name:<34}{t * 1000:>9.1f}{t / t_base:>9.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.children)


async def _table(root: Path, every: set[str], rounds: int) -> tuple[float, float]:
    from tao_tui.ui.app import TaoTuiApp

    app = TaoTuiApp(project=root)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.screen.query_one("#params")
        for _ in range(400):
            if tree.loaded:
                break
            await pilot.pause(0.05)
        default = set(tree.opened)

        def fill(opened):
            tree.opened = set(opened)
            tree._render_rows(None)

        return best(lambda: fill(default), rounds), best(lambda: fill(every), rounds)


if __name__ == "__main__":
    main()
