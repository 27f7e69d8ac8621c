"""Step 2: set up the project: folder, dataset, TAO version, GPUs."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from tao_tui.errors import TaoTuiError


class NewProjectScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "back")]

    def __init__(self, network: str, version: str):
        super().__init__()
        self.network = network
        self.version = version

    def compose(self) -> ComposeResult:
        from tao_tui.catalog import load_catalog

        versions = sorted(load_catalog(self.version).network(self.network).versions,
                          key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()), reverse=True)
        yield Header()
        with VerticalScroll(id="form"):
            yield Label("Project folder (created; holds specs, results and run logs)")
            yield Input(str(Path.home() / "tao-projects" / self.network), id="dir")
            yield Label("Dataset folder on this machine (KITTI: image_2/ and label_2/), mounted read-only")
            yield Input(placeholder="e.g. ~/data/kitti/training  (can be set later)", id="dataset")
            yield Label("TAO version")
            yield Select([(v, v) for v in versions], value=versions[0] if versions else Select.BLANK, id="version",
                         allow_blank=False)
            yield Label("GPUs")
            yield Input("1", type="integer", id="gpus")
            with Horizontal(id="buttons"):
                yield Button("Create project", variant="primary", id="create")
            yield Static(id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"tao-tui · {self.network} · set up the project"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.create()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.create()

    def create(self) -> None:
        from tao_tui.workflow.create import create_project

        error = self.query_one("#error", Static)
        try:
            gpus_text = self.query_one("#gpus", Input).value or "1"
            gpus = int(gpus_text)
            if gpus < 1:
                raise ValueError
        except ValueError:
            error.update("[b red]GPUs[/]: must be a whole number of at least 1. fix: type 1 (or how many GPUs to use)")
            return
        dataset = self.query_one("#dataset", Input).value.strip() or None
        try:
            project = create_project(
                Path(self.query_one("#dir", Input).value.strip()),
                self.network,
                tao_version=str(self.query_one("#version", Select).value),
                dataset=dataset,
                gpus=gpus,
            )
        except TaoTuiError as err:
            error.update(f"[b red]error:[/] {err}")
            return
        from tao_tui.ui.screens.project import ProjectScreen

        self.app.switch_screen(ProjectScreen(project.root))
