"""Step 1: pick a network from the full TAO catalog."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

DOMAIN_ORDER = ("vision", "conversational", "data", "deploy")


def _field(label: str, value: str) -> str:
    return f"[b]{label:<10}[/b] {value}"


class CatalogScreen(Screen):
    BINDINGS = [
        Binding("enter", "choose", "set up a project", show=True),
        Binding("question_mark", "app.help", "help"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self, version: str | None = None):
        super().__init__()
        from tao_tui.catalog import load_catalog

        self.catalog = load_catalog(version)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield OptionList(*self._options(), id="networks")
            with VerticalScroll(id="detail-box"):
                yield Static(id="detail")
        yield Footer()

    def _options(self) -> list:
        nets = sorted(self.catalog.networks, key=lambda n: (
            DOMAIN_ORDER.index(n.domain) if n.domain in DOMAIN_ORDER else 9, n.specs != "bundled", n.name))
        options: list = []
        domain = None
        for n in nets:
            if n.domain != domain:
                domain = n.domain
                options.append(Option(f"[b]── {domain} ──[/b]", id=f"hdr:{domain}", disabled=True))
            mark = "" if n.specs == "bundled" else " [dim](specs: download)[/dim]"
            options.append(Option(f"  {n.name}{mark}", id=f"{n.task_group or 'model'}/{n.name}"))
        return options

    def on_mount(self) -> None:
        self.title = f"tao-tui · TAO {self.catalog.version} · pick a network"
        ol = self.query_one("#networks", OptionList)
        ol.focus()
        for i in range(ol.option_count):
            if not ol.get_option_at_index(i).disabled:
                ol.highlighted = i
                break

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._choose(event.option.id)

    def _net(self, option_id: str):
        group, _, name = option_id.partition("/")
        return self.catalog.network(name, task_group=group)

    def _show(self, option_id: str) -> None:
        n = self._net(option_id)
        lines = [
            f"[b]{n.name}[/b]  ({n.domain}, {n.framework})",
            "",
            n.description,
            "",
            _field("container", n.image),
            _field("sub-tasks", ", ".join(n.subtasks)),
            _field("specs", "bundled: NVIDIA defaults, safe values editable" if n.specs == "bundled"
                   else "not public: fetched with `download_specs`"),
        ]
        if n.specs == "bundled":
            from tao_tui.specs.netdef import load_network

            net = load_network(n.name)
            lines += ["", _field("workflow", " → ".join(s.id for s in net.stages)), "", "[b]safe parameters[/b]"]
            shown = dict.fromkeys(
                f"  {p.path} = {p.default if p.type not in ('class_mapping', 'class_list') else '(classes)'}"
                for p in net.safe_params)
            lines += list(shown)
        from tao_tui.catalog import command_prefix

        lines += ["", f"[dim]$ {' '.join(command_prefix(n, self.catalog.version))} <sub-task> …[/dim]"]
        self.query_one("#detail", Static).update("\n".join(lines))

    def action_choose(self) -> None:
        ol = self.query_one("#networks", OptionList)
        if ol.highlighted is not None:
            opt = ol.get_option_at_index(ol.highlighted)
            if opt.id:
                self._choose(opt.id)

    def _choose(self, option_id: str) -> None:
        n = self._net(option_id)
        name = n.name
        if n.task_group == "deploy":
            self.notify(f"`tao deploy {name}` builds a TensorRT engine from an exported model: set up the "
                        f"{name} project under 'vision' first; its export stage feeds it.", severity="warning", timeout=8)
            return
        if n.specs != "bundled":
            self.notify(f"{name}'s specs are not public: run `tao {name} download_specs` first (TAO 3.x/4.0).",
                        severity="warning", timeout=8)
            return
        from tao_tui.ui.screens.new_project import NewProjectScreen

        self.app.push_screen(NewProjectScreen(name, self.catalog.version))
