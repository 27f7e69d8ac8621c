"""The workflow stages of the project, each with its state."""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option

ICONS = {"pending": "·", "running": "▶", "done": "✔", "failed": "✘", "stopped": "■"}
STYLES = {"running": "b yellow", "done": "green", "failed": "b red", "stopped": "dim"}


class StageList(OptionList):
    """One line per stage: ``✔ train``; the highlighted stage is the one `r`/`s`/`c` act on."""

    def show(self, stages: list[tuple[str, str]]) -> None:
        keep = self.highlighted
        self.clear_options()
        for sid, status in stages:
            style = STYLES.get(status, "")
            text = f"{ICONS.get(status, '?')} {sid}"
            self.add_option(Option(f"[{style}]{text}[/]" if style else text, id=sid))
        if stages:
            self.highlighted = keep if keep is not None and keep < len(stages) else 0

    @property
    def selected_stage(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
