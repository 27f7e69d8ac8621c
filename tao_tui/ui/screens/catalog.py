"""Pick a network from the full TAO catalog: type to filter, one row per network, details beside."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

DOMAIN_ORDER = ("vision", "conversational", "data", "deploy")


def _field(label: str, value: str) -> str:
    return f"[b]{label:<10}[/b] {value}"


def catalog_rows(catalog) -> dict[str, list]:
    """Network name -> its catalog entries (one per task group it appears in), model group first."""
    rows: dict[str, list] = {}
    for n in catalog.networks:
        rows.setdefault(n.name, []).append(n)
    order = {"model": 0, None: 0, "dataset": 1, "deploy": 2}
    for entries in rows.values():
        entries.sort(key=lambda n: order.get(n.task_group, 3))
    return rows


def matches(entries: list, words: list[str], data_format: str) -> bool:
    """Every typed word appears in the name, description, domain, framework or data format."""
    n = entries[0]
    hay = " ".join([n.name, n.description, n.domain, n.framework, data_format,
                    *(e.task_group or "" for e in entries)]).lower()
    return all(w in hay for w in words)


def rank(name: str, words: list[str]) -> int:
    """0: the name starts with the first typed word; 1: the name holds it; 2: only the details do."""
    if not words:
        return 0
    name = name.lower()
    return 0 if name.startswith(words[0]) else 1 if words[0] in name else 2


class CatalogScreen(Screen):
    BINDINGS = [
        Binding("enter", "choose", "set up a project", show=True),
        Binding("down", "move(1)", "", show=False),
        Binding("up", "move(-1)", "", show=False),
        Binding("pagedown", "move(8)", "", show=False),
        Binding("pageup", "move(-8)", "", show=False),
        Binding("escape", "back", "clear filter / back"),
        Binding("question_mark", "app.help", "help"),
    ]
    DEFAULT_CSS = """
    CatalogScreen #filter { border: tall $primary; height: 3; }
    CatalogScreen #networks { width: 32; height: 1fr; border: round $primary; }
    CatalogScreen #detail-box { border: round $secondary; padding: 0 1; }
    CatalogScreen #left-col { width: 32; }
    """

    def __init__(self, version: str | None = None):
        super().__init__()
        from tao_tui.catalog import load_catalog

        self.catalog = load_catalog(version)
        self.rows = catalog_rows(self.catalog)
        self._formats: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="left-col"):
                yield Input(placeholder="type to filter: detect, segment, coco…", id="filter")
                yield OptionList(id="networks")
            with VerticalScroll(id="detail-box"):
                yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"tao-tui · TAO {self.catalog.version} · pick a network"
        self.sub_title = f"{len(self.rows)} networks"
        networks = self.query_one("#networks", OptionList)
        networks.can_focus = False  # typing always filters; arrows move the list
        networks.border_subtitle = "↑↓ move · Enter set up"
        self.refilter("")
        self.query_one("#filter", Input).focus()

    def data_format(self, name: str) -> str:
        if name not in self._formats:
            from tao_tui.dataset import data_format

            try:
                self._formats[name] = data_format(name)
            except Exception:  # a format we cannot tell is not worth failing the catalog for
                self._formats[name] = "other"
        return self._formats[name]

    # ------------------------------------------------------------------ list
    def refilter(self, text: str) -> None:
        words = text.lower().split()
        ol = self.query_one("#networks", OptionList)
        ol.clear_options()
        names = sorted(self.rows, key=lambda name: (
            rank(name, words),
            DOMAIN_ORDER.index(self.rows[name][0].domain) if self.rows[name][0].domain in DOMAIN_ORDER else 9,
            self.rows[name][0].specs != "bundled", name))
        domain = None
        shown = 0
        for name in names:
            entries = self.rows[name]
            if words and not matches(entries, words, self.data_format(name)):
                continue
            n = entries[0]
            if not words and n.domain != domain:  # filtered: best matches first, no groups
                domain = n.domain
                ol.add_option(Option(f"[b]── {domain} ──[/b]", id=f"hdr:{domain}", disabled=True))
            mark = "" if n.specs == "bundled" else " [dim](download)[/dim]"
            ol.add_option(Option(f" {escape(name)}{mark}", id=name))
            shown += 1
        if not shown:
            ol.add_option(Option(f"[dim]nothing matches '{escape(text)}': Escape clears the filter[/]",
                                 id="hdr:none", disabled=True))
            self.query_one("#detail", Static).update("")
        self.sub_title = f"{shown} of {len(self.rows)} networks" if words else f"{len(self.rows)} networks"
        self._highlight_first()

    def _highlight_first(self) -> None:
        ol = self.query_one("#networks", OptionList)
        for i in range(ol.option_count):
            if not ol.get_option_at_index(i).disabled:
                ol.highlighted = i
                return

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.refilter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.action_choose()

    def action_move(self, step: int) -> None:
        ol = self.query_one("#networks", OptionList)
        if ol.highlighted is None:
            return
        i, moved = ol.highlighted, 0
        direction = 1 if step > 0 else -1
        while moved < abs(step):
            j = i + direction
            while 0 <= j < ol.option_count and ol.get_option_at_index(j).disabled:
                j += direction
            if not 0 <= j < ol.option_count:
                break
            i, moved = j, moved + 1
        ol.highlighted = i

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            from tao_tui.ui.screens.start import StartScreen

            self.app.switch_screen(StartScreen(self.catalog.version))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and not event.option.disabled:
            self._show(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and not event.option.disabled:
            self._choose(event.option.id)

    # ------------------------------------------------------------------ details
    def details(self, name: str) -> list[str]:
        from tao_tui.catalog import command_prefix

        entries = self.rows[name]
        n = entries[0]
        lines = [f"[b]{escape(n.name)}[/b]  [dim]{escape(n.domain)} · {escape(n.framework)}[/]", "",
                 escape(n.description), ""]
        if n.verified is False:  # network.yaml: no public NVIDIA source for this TAO version
            lines += ["[yellow]not checked against NVIDIA's source[/]", ""]
        fmt = self.data_format(name)
        if fmt and fmt != "other":
            from tao_tui.dataset import FORMAT_WORDS

            lines.append(_field("data", escape(FORMAT_WORDS.get(fmt, fmt))))
        for e in entries:
            prefix = " ".join(command_prefix(e, self.catalog.version))
            lines.append(_field("sub-tasks", f"[dim]{escape(prefix)}[/] " + escape(", ".join(e.subtasks))))
        lines.append(_field("image", escape(n.image)))
        versions = sorted(set(v for e in entries for v in e.versions), key=_version_key)
        if versions:
            span = versions[0] if len(versions) == 1 else f"{versions[0]} … {versions[-1]}"
            lines.append(_field("TAO", escape(span) + f" [dim]({len(versions)} versions)[/]"))
        if n.specs == "bundled":
            from tao_tui.specs.netdef import load_network

            net = load_network(n.name, version=self.catalog.version if n.contract is not None else None)
            lines.append(_field("specs", "NVIDIA's defaults; you change only the safe values"))
            lines += [f"  [dim]{escape(f)}[/]" for f in net.spec_files]
            lines += ["", _field("workflow", escape(" → ".join(s.id for s in net.stages)))]
            safe = list(dict.fromkeys(p.path.rsplit(".", 1)[-1] for p in net.safe_params if p.kind != "path"))
            if safe:
                lines.append(_field("safe", escape(", ".join(safe))))
        elif n.specs == "download":
            lines.append(_field("specs", "not public: NVIDIA ships them inside the container "
                                         "(`download_specs` fetches them)"))
        lines += ["", "[b]Enter[/b]: set up a project with it"]
        return lines

    def _show(self, name: str) -> None:
        if name in self.rows:
            self.query_one("#detail", Static).update("\n".join(self.details(name)))

    def action_choose(self) -> None:
        ol = self.query_one("#networks", OptionList)
        if ol.highlighted is not None:
            opt = ol.get_option_at_index(ol.highlighted)
            if opt.id and not opt.disabled:
                self._choose(opt.id)

    def _choose(self, name: str) -> None:
        from tao_tui.specs.netdef import template_networks

        n = self.rows[name][0]
        if name not in template_networks():
            if n.task_group == "deploy":
                self.notify(f"`tao deploy {name}` builds a TensorRT engine from an exported model: it is the "
                            "last stage of a vision project, not a project of its own.", severity="warning",
                            timeout=8)
            elif n.specs == "download":
                self.notify(f"{name}'s specs are not public: NVIDIA ships them inside the container "
                            f"(`tao {name} download_specs`); tao-tui cannot set it up yet.",
                            severity="warning", timeout=8)
            else:
                self.notify(f"tao-tui has no project template for {name} yet: run it with the `tao` "
                            "command shown in the details.", severity="warning", timeout=8)
            return
        from tao_tui.ui.screens.setup import SetupScreen

        self.app.push_screen(SetupScreen(name, self.catalog.version))


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split(".") if x.isdigit())
