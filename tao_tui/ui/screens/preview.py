"""The annotated images an inference stage wrote, in the terminal (textual-image: Kitty's graphics
protocol or Sixel where the terminal answers for them, coloured half-cell blocks elsewhere);
``n``/``→`` next, ``p``/``←`` previous."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tao_tui.project import Project
from tao_tui.results import IMAGE_SUFFIXES


def inference_images(project: Project, stage: str) -> list[Path]:
    """Image files under ``results/<stage>`` (sorted; annotated outputs such as
    ``images_annotated/`` first when the stage wrote both)."""
    folder = project.results_dir(stage)
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return sorted(found, key=lambda p: ("annotated" not in p.as_posix(), p.as_posix()))


def _image_module(app):
    """textual_image.widget, imported once. Its import asks the terminal which graphics it supports;
    that must not race Textual's own input reader, so in a real terminal it runs while the app
    is suspended (a headless app has no terminal to ask: the import just picks text blocks)."""
    if "textual_image.widget" in sys.modules:
        return sys.modules["textual_image.widget"]
    try:
        from textual.app import SuspendNotSupported

        if app.is_headless:
            raise SuspendNotSupported()
        with app.suspend():
            import textual_image.widget as module
    except SuspendNotSupported:
        import textual_image.widget as module
    return module


class PreviewScreen(Screen):
    BINDINGS = [
        Binding("escape,q,i", "app.pop_screen", "back"),
        Binding("n,right", "next(1)", "next"),
        Binding("p,left", "next(-1)", "previous"),
    ]
    DEFAULT_CSS = """
    PreviewScreen #caption { height: 1; padding: 0 1; background: $boost; }
    PreviewScreen #frame { height: 1fr; width: 1fr; align: center middle; }
    PreviewScreen #frame > * { width: auto; height: 1fr; }
    """

    def __init__(self, root: Path, stage: str):
        super().__init__()
        self.root = Path(root)
        self.stage = stage
        self.images = inference_images(Project.load(self.root), stage)
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="caption")
        yield Center(id="frame")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"preview · {self.stage}"
        self.sub_title = str(self.root)
        self.show()

    def show(self) -> None:
        caption = self.query_one("#caption", Static)
        frame = self.query_one("#frame")
        frame.remove_children()
        if not self.images:
            caption.update(f"results/{self.stage} holds no images yet: run the inference stage (r), then i")
            return
        path = self.images[self.index]
        rel = path.relative_to(self.root).as_posix()
        caption.update(f"[b]{self.index + 1}/{len(self.images)}[/b]  {rel}  [dim](n/p: next/previous)[/]")
        try:
            widget = _image_module(self.app).Image(path)
        except Exception as err:  # noqa: BLE001 - a file Pillow can't read: say which and go on
            frame.mount(Static(f"[red]can't show {rel}: {err}[/]"))
            return
        frame.mount(widget)

    def action_next(self, step: int) -> None:
        if self.images:
            self.index = (self.index + step) % len(self.images)
            self.show()
