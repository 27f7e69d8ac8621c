"""Typed messages the workers send to the screens (never one message per log line)."""

from __future__ import annotations

from textual.message import Message


class StageStarted(Message):
    def __init__(self, stage: str, run_id: str, command: str) -> None:
        super().__init__()
        self.stage, self.run_id, self.command = stage, run_id, command


class StageFinished(Message):
    def __init__(self, stage: str, run_id: str, status: str, message: str | None) -> None:
        super().__init__()
        self.stage, self.run_id, self.status, self.message = stage, run_id, status, message


class WorkerError(Message):
    """A TaoTuiError (or a notice) from a worker: what is wrong and how to fix it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class RunShown(Message):
    """A run read back from disk for the log pane and the progress panel: the tail of its log,
    its events (events.jsonl) and its recorded result (``None`` while its container runs)."""

    def __init__(self, run_id: str, stage: str, lines: list[str], events: list, result: str | None) -> None:
        super().__init__()
        self.run_id, self.stage, self.lines, self.events, self.result = run_id, stage, lines, events, result


class GpuChanged(Message):
    """The GPU watcher read a different GpuState (sent only on change)."""

    def __init__(self, state) -> None:
        super().__init__()
        self.state = state
