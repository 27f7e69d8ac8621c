"""GPU load and memory (NVML, read by tao_tui.runtime.gpu), or why there is no GPU."""

from __future__ import annotations

from textual.widgets import Static


class GpuPanel(Static):
    DEFAULT_CSS = """
    GpuPanel { height: auto; padding: 0 1; color: $text-muted; }
    """

    def show(self, state) -> None:
        """``state``: a GpuState. One line per GPU: load and memory."""
        if not state.gpus:
            reason = (state.reason or "").split(":")[0]
            self.update(f"no GPU{': ' + reason if reason else ''}")
            return
        lines = []
        for g in state.gpus:
            load = f"{g.utilization}%" if g.utilization is not None else "?%"
            mem = f" {g.memory_used / 2**30:.0f}/{g.memory_total / 2**30:.0f}G" if g.memory_total else ""
            lines.append(f"GPU{g.index} {load:>4}{mem}")
        self.update("\n".join(lines))
