"""GPU load and memory (NVML, read by tao_tui.runtime.gpu), or why there is no GPU."""

from __future__ import annotations

from textual.widgets import Static


def gpu_text(state) -> str:
    """``state``: a tao_tui.runtime.gpu.GpuState. One line per GPU: ``GPU0  97% 12/80G``."""
    if not state.gpus:
        reason = (state.reason or "").split(":")[0]
        return f"no GPU{': ' + reason if reason else ''}"
    lines = []
    for g in state.gpus:
        load = f"{g.utilization}%" if g.utilization is not None else "?%"
        mem = f" {g.memory_used / 2**30:.0f}/{g.memory_total / 2**30:.0f}G" if g.memory_total else ""
        lines.append(f"GPU{g.index} {load:>4}{mem}")
    return "\n".join(lines)


class GpuPanel(Static):
    """Repaints only when the text changes; a relayout only when the number of lines does."""

    DEFAULT_CSS = """
    GpuPanel { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown: str | None = None
        self.repaints = 0

    def show(self, state) -> bool:
        """Show ``state``; returns whether anything changed on screen."""
        text = gpu_text(state)
        if text == self.shown:
            return False
        same_height = self.shown is not None and self.shown.count("\n") == text.count("\n")
        self.shown = text
        self.repaints += 1
        self.update(text, layout=not same_height)
        return True
