"""One truth: `tao-tui status`, `tao-tui progress --summary` and the wizard's progress line give the
same epoch/step/loss/mAP/ETA for every recorded log in tests/fixtures (issue 12, Done-when)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from tao_tui.cli import main
from tao_tui.commands.status import progress_of
from tao_tui.progress import parse_file
from tao_tui.ui.widgets.progress_panel import ProgressPanel

LOGS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "logs").glob("*.log"))


class _Run:
    """What status.progress_of needs of a project: where a run's folder is."""

    def __init__(self, root: Path):
        self.root = root

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id


class PanelApp(App):
    def compose(self) -> ComposeResult:
        yield ProgressPanel(id="progress")


@pytest.mark.parametrize("log", LOGS, ids=[p.name for p in LOGS])
async def test_status_progress_summary_and_app_agree(log, tmp_path, capsys):
    events = list(parse_file(log))
    run_dir = tmp_path / "runs" / "train-1"
    run_dir.mkdir(parents=True)
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))
    in_status = progress_of(_Run(tmp_path), "train-1") or ""

    assert main(["progress", str(log), "--summary"]) == 0
    summary_line = capsys.readouterr().out.splitlines()[-1]
    assert summary_line.startswith("summary")

    app = PanelApp()
    async with app.run_test(size=(160, 10)):
        panel = app.query_one(ProgressPanel)
        panel.reset(events)  # what the wizard does with a run's events.jsonl
        in_app = panel.text
    # the same fold, word for word, in all three
    assert in_status in summary_line
    if in_status:
        assert in_app.startswith(in_status)
    else:
        assert in_app == "no progress yet" or not any(w in in_app for w in ("epoch", "mAP", "loss"))
    assert "finished" not in in_app  # nothing recorded the container's exit
