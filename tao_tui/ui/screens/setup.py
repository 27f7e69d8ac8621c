"""Set up a project as steps: folder → dataset → classes → GPUs and key → values.

Each step fits 80x24 with its actions visible; focus starts in its first field; Enter moves on,
Escape goes back; each error is shown right under the field that caused it. The project is
written through the same core as ``tao-tui new`` (``workflow.create.create_project``), so the
spec files are byte-identical to ``tao-tui new`` with the same flags.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, Label, ProgressBar, Select, Static

from tao_tui.errors import TaoTuiError
from tao_tui.setup_steps import check_new_folder, overlap, plain_value, value_params

STEPS = ("folder", "dataset", "classes", "gpus", "values")
STEP_TITLES = {"folder": "Folder", "dataset": "Dataset", "classes": "Classes", "gpus": "GPUs & key",
               "values": "Values"}
FIELD_STEP = {"--dir": "folder", "dir": "folder", "--dataset": "dataset", "dataset": "dataset",
              "--classes": "classes", "classes": "classes", "--gpus": "gpus", "gpus": "gpus",
              "--tao-version": "folder", "version": "folder", "network": "folder"}


class SetupScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "back"),
        Binding("down", "app.focus_next", "next field", show=False),
        Binding("up", "app.focus_previous", "previous field", show=False),
        Binding("ctrl+o", "open_existing", "open it", show=False),
        Binding("question_mark", "app.help", "help", show=False),
    ]
    DEFAULT_CSS = """
    SetupScreen #steps { height: 1; padding: 0 1; background: $boost; }
    SetupScreen ContentSwitcher { height: 1fr; }
    SetupScreen .step { padding: 0 1; height: 1fr; }
    SetupScreen .step Input, SetupScreen .step Select { width: 76; max-width: 100%; }
    SetupScreen .error { color: $error; height: auto; display: none; }
    SetupScreen .error.shown { display: block; }
    SetupScreen .hint { color: $text-muted; height: auto; }
    SetupScreen #actions { height: 3; dock: bottom; padding: 0 1; }
    SetupScreen #actions Static { width: 1fr; text-align: center; }
    SetupScreen #actions Button { width: auto; }
    SetupScreen #actions #next { width: 26; }
    SetupScreen #scan-bar { display: none; }
    SetupScreen #scan-bar.scanning { display: block; }
    SetupScreen #open-existing { display: none; }
    SetupScreen #open-existing.shown { display: block; }
    SetupScreen .class-row { height: 1; }
    SetupScreen .class-row Label { width: 36; }
    SetupScreen .class-row Input { width: 24; height: 1; border: none; padding: 0 1; }
    SetupScreen .class-row Input:focus { background: $boost; }
    SetupScreen .class-error { height: auto; color: $error; padding-left: 2; display: none; }
    SetupScreen .class-error.shown { display: block; }
    SetupScreen .value-help { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, network: str, catalog_version: str | None = None):
        super().__init__()
        from tao_tui.specs.netdef import load_network

        self.network = network
        self.catalog_version = catalog_version
        # opened from a version's catalog: that version's definition (TAO 7: generated from NVIDIA's contract)
        from tao_tui.catalog import is_contract_version

        version = catalog_version if is_contract_version(catalog_version) else None
        if version is None:  # the version the folder step preselects: its spec files and safe values
            from tao_tui.workflow.create import default_tao_version

            try:
                version = default_tao_version(network)[0]
            except TaoTuiError:
                version = None
        self.net = load_network(network, version=version)
        self.has_classes = any(p.type in ("class_mapping", "class_list") for p in self.net.safe_params)
        self.values = value_params(self.net)
        self.step = "folder"
        self.scan = None  # the DatasetScan of the dataset folder last scanned
        self._scanned_text: str | None = None
        self._cancel = threading.Event()
        self._class_sources: list[str] = []
        self._existing: Path | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        from tao_tui.catalog import known_versions, load_catalog
        from tao_tui.workflow.create import default_tao_version

        task = self.net.task_name
        versions = []
        for v in known_versions():
            try:
                if any(n.name == task for n in load_catalog(v).networks):
                    versions.append(load_catalog(v).version)
            except TaoTuiError:
                continue
        versions = sorted(set(versions), key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()),
                          reverse=True)
        try:
            default_version = default_tao_version(self.network)[0]
        except TaoTuiError:
            default_version = versions[0] if versions else None
        if self.net.tao_versions is not None and self.catalog_version in versions:  # TAO 7, from its catalog
            default_version = self.catalog_version

        yield Header()
        yield Static(id="steps")
        with ContentSwitcher(initial="step-folder"):
            with VerticalScroll(id="step-folder", classes="step"):
                yield Static("[b]Project folder[/b]: created for you; holds the specs, results and run logs.")
                yield Input(str(Path.home() / "tao-projects" / self.network), id="dir")
                yield Static("", id="dir-error", classes="error")
                yield Button("Open that project instead (Ctrl+O)", id="open-existing")
                yield Static("[b]TAO version[/b] [dim](the newest that runs this network is chosen; Tab to change)[/]")
                yield Select([(v, v) for v in versions], value=default_version or Select.BLANK, id="version",
                             allow_blank=not versions)
            with VerticalScroll(id="step-dataset", classes="step"):
                yield Static(id="dataset-label")
                yield Input(placeholder="e.g. ~/data/kitti  (empty: set it later)", id="dataset")
                yield Static("", id="dataset-error", classes="error")
                yield ProgressBar(id="scan-bar", show_eta=False)
                yield Static("", id="scan-summary")
            with VerticalScroll(id="step-classes", classes="step"):
                yield Static(id="classes-intro")
                yield VerticalScroll(id="class-rows")
                yield Static("", id="classes-note", classes="hint")
            with VerticalScroll(id="step-gpus", classes="step"):
                yield Static("[b]GPUs[/b] to train on [dim](a whole number, at least 1)[/]")
                yield Input("1", id="gpus")
                yield Static("", id="gpus-error", classes="error")
                yield Static("[dim]looking for GPUs on this machine …[/]", id="gpus-found", classes="hint")
                yield Static("[b]Encryption key[/b] [dim](optional; kept in memory only, never written)[/]")
                yield Input(password=True, placeholder="empty: none, or $KEY when set", id="key")
                yield Static("", id="key-note", classes="hint")
            with VerticalScroll(id="step-values", classes="step"):
                yield Static(id="values-intro")
                yield from self._value_widgets()
                yield Static("", id="values-error", classes="error")
                yield Static("", id="cli-line", classes="hint")
        with Horizontal(id="actions"):
            yield Button("← Back (Esc)", id="back")
            yield Static("\n[dim]↓ / Tab: next field[/]", id="keys-hint")
            yield Button("Next (Enter) →", variant="primary", id="next")
        yield Footer()

    def _value_widgets(self) -> list:
        """Label, help, field and error line of each safe value (of the chosen TAO version's spec)."""
        out: list = []
        for i, p in enumerate(self.values):
            bounds = ""
            if p.min is not None or p.max is not None:
                bounds = f" [dim]({plain_value(p.min) or '…'} to {plain_value(p.max) or '…'})[/]"
            out += [
                Static(f"[b]{escape(p.path)}[/b]{bounds}", classes="value-row value-help" if i else "value-row"),
                Static(f"[dim]{escape(p.help)}[/]", classes="hint value-row"),
                Input(plain_value(p.default), id=f"value-{i}", classes="value-row"),
                Static("", id=f"value-{i}-error", classes="error value-row"),
            ]
        return out

    async def on_select_changed(self, event: Select.Changed) -> None:
        """Another TAO version: its own spec files and safe values (e.g. 6.x keys for PyTorch networks)."""
        from tao_tui.specs.netdef import load_network

        if event.select.id != "version" or event.value is Select.BLANK:
            return
        if event.select.has_focus:  # chosen from the list: back to the folder, where Enter is Next
            self.query_one("#dir", Input).focus()
        try:
            net = load_network(self.network, version=str(event.value))
        except TaoTuiError as err:
            self._set_error("#dir-error", str(err))
            return
        if net is self.net:
            return
        self.net = net
        self.has_classes = any(p.type in ("class_mapping", "class_list") for p in net.safe_params)
        self.values = value_params(net)
        self._class_sources = []  # the class step is rebuilt for this version's class list
        step = self.query_one("#step-values", VerticalScroll)
        await self.query(".value-row").remove()
        await step.mount_all(self._value_widgets(), before=self.query_one("#values-error"))

    def on_mount(self) -> None:
        self.title = f"tao-tui · {self.network} · set up a project"
        for button in self.query("#actions Button"):
            button.can_focus = False  # Enter and Escape are the keys; the buttons are for the mouse
        from tao_tui.dataset import FORMAT_WORDS, data_format

        try:
            fmt = data_format(self.network)
        except Exception:  # the hint is a courtesy; the scan itself detects the layout
            fmt = "other"
        self._format = fmt
        self.query_one("#dataset-label", Static).update(
            "[b]Dataset folder[/b] on this machine, mounted read-only. Format: "
            + escape(FORMAT_WORDS.get(fmt, fmt)) + ". Enter scans it.")
        self.query_one("#values-intro", Static).update(
            "The values NVIDIA says are safe to change. [dim]Every other value stays at NVIDIA's tuned "
            "default; all of them are in the project's Parameters tab.[/]")
        self.read_gpus()
        self.show_step("folder")

    # ------------------------------------------------------------------ steps
    def active_steps(self) -> list[str]:
        return [s for s in STEPS if s != "classes" or self.classes_apply()]

    def classes_apply(self) -> bool:
        return self.has_classes and self.scan is not None and bool(self.scan.classes)

    def show_step(self, step: str) -> None:
        self.step = step
        self.query_one(ContentSwitcher).current = f"step-{step}"
        active = self.active_steps()
        parts = []
        for i, s in enumerate(STEPS, 1):
            name = f"{i} {STEP_TITLES[s]}"
            if s == step:
                parts.append(f"[b reverse] {name} [/]")
            elif s not in active and not (s == "classes" and self.has_classes and step in ("folder", "dataset")):
                parts.append(f"[dim strike]{name}[/]")  # skipped: no class list, or no dataset to read them
            else:
                parts.append(name)
        self.query_one("#steps", Static).update(" › ".join(parts))
        last = step == active[-1]
        self.query_one("#next", Button).label = "Create project (Enter)" if last else "Next (Enter) →"
        self.query_one("#back", Button).label = "← Catalog (Esc)" if step == "folder" else "← Back (Esc)"
        first = {"folder": "#dir", "dataset": "#dataset", "gpus": "#gpus", "values": "#value-0"}.get(step)
        if step == "classes":
            inputs = self.query("#class-rows Input")
            if inputs:
                inputs.first().focus()
            return
        if step == "values":
            self.show_cli_line()
        if step == "values" and not self.values:
            self.query_one("#next", Button).focus()
            return
        if first:
            self.query_one(first).focus()

    def action_back(self) -> None:
        active = self.active_steps()
        i = active.index(self.step) if self.step in active else 0
        if i == 0:
            self._cancel.set()
            self.app.pop_screen()
        else:
            self.show_step(active[i - 1])

    async def action_next(self) -> None:
        if not self.validate_step(self.step):
            return
        if self.step == "dataset" and self._needs_scan():
            self.start_scan()
            return
        active = self.active_steps()
        i = active.index(self.step)
        if i + 1 < len(active):
            if active[i + 1] == "classes":
                await self.fill_classes()
            self.show_step(active[i + 1])
        else:
            self.create()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            await self.action_next()
        elif event.button.id == "back":
            self.action_back()
        elif event.button.id == "open-existing":
            self.action_open_existing()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter is always the Next (or Create) button; ↓ / Tab move between the fields of a step."""
        event.stop()
        await self.action_next()

    def on_descendant_focus(self, event) -> None:
        """The last value field shows what follows it too (the same project as a `tao-tui new` line)."""
        inputs = list(self.query("#step-values Input"))
        if self.step == "values" and inputs and event.widget is inputs[-1]:
            self.call_after_refresh(self.query_one("#step-values", VerticalScroll).scroll_end, animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check_input(event.input, typing=True)

    def action_open_existing(self) -> None:
        if self.step == "folder" and self._existing is not None:
            self.app.open_project(self._existing)

    # ------------------------------------------------------------------ validation (as typed)
    def _set_error(self, selector: str, text: str) -> None:
        box = self.query_one(selector, Static)
        box.update(escape(text))
        box.set_class(bool(text), "shown")

    def _check_input(self, inp: Input, typing: bool = False) -> bool:
        iid = inp.id or ""
        if iid == "dir":
            folder, problem, is_project = check_new_folder(inp.value)
            self._existing = folder if is_project else None
            self.query_one("#open-existing").set_class(is_project, "shown")
            self._set_error("#dir-error", problem)
            return not problem
        if iid == "dataset":
            self._set_error("#dataset-error", "" if typing else self._dataset_problem(inp.value))
            if typing and inp.value.strip() != (self._scanned_text or ""):
                if not inp.value.strip():
                    hint = "No dataset now: set it later with `tao-tui set --dataset DIR`. Enter goes on."
                elif self.scannable():
                    hint = "Enter scans the folder (counts, classes, problems)."
                else:
                    hint = ("tao-tui cannot check this network's dataset format yet: the folder is mounted as it "
                            "is (NVIDIA's docs for the network describe the format). Enter goes on.")
                self.query_one("#scan-summary", Static).update(f"[dim]{escape(hint)}[/]")
            return not self._dataset_problem(inp.value)
        if iid == "gpus":
            problem = _gpus_problem(inp.value)
            self._set_error("#gpus-error", problem)
            return not problem
        if iid.startswith("class-"):
            return self._check_class_input(inp)
        if iid.startswith("value-"):
            from tao_tui.specs.params import coerce

            self.show_cli_line()
            i = int(iid.split("-")[1])
            try:
                coerce(self.values[i], inp.value)
            except TaoTuiError as err:
                self._set_error(f"#{iid}-error", str(err))
                return False
            self._set_error(f"#{iid}-error", "")
            return True
        return True

    def _dataset_problem(self, text: str) -> str:
        text = text.strip()
        if not text:
            return ""
        path = Path(text).expanduser()
        folder, _, _ = check_new_folder(self.query_one("#dir", Input).value)
        if folder is not None and overlap(path, folder):
            return (f"{text} and the project folder {folder} overlap: the dataset is mounted read-only and the "
                    "project holds results, so keep them apart (Escape goes back to change the project folder)")
        if not path.exists():
            return f"{text} does not exist: check the path (it is a folder on this machine)"
        if not path.is_dir():
            return f"{text} is a file: give the folder that holds the images and labels"
        if not os.access(path, os.R_OK | os.X_OK):
            return f"you cannot read {text}: fix its permissions (chmod -R a+rX), or pick another copy"
        return ""

    def validate_step(self, step: str) -> bool:
        if step == "folder":
            return self._check_input(self.query_one("#dir", Input))
        if step == "dataset":
            return self._check_input(self.query_one("#dataset", Input))
        if step == "classes":
            ok = True
            for inp in self.query("#class-rows Input"):
                ok = self._check_input(inp) and ok
            if not ok:
                first_bad = next((i for i in self.query("#class-rows Input") if not self._check_input(i)), None)
                if first_bad is not None:
                    first_bad.focus()
            return ok
        if step == "gpus":
            return self._check_input(self.query_one("#gpus", Input))
        if step == "values":
            ok = True
            for i in range(len(self.values)):
                inp = self.query_one(f"#value-{i}", Input)
                if not self._check_input(inp):
                    if ok:
                        inp.focus()
                    ok = False
            return ok
        return True

    # ------------------------------------------------------------------ dataset scan
    def _needs_scan(self) -> bool:
        """A KITTI or COCO folder is scanned before going on; other formats are mounted as they are."""
        text = self.query_one("#dataset", Input).value.strip()
        return bool(text) and text != self._scanned_text and self.scannable()

    def scannable(self) -> bool:
        """Whether tao-tui can read this network's dataset format (KITTI, COCO, NeMo's manifests...)."""
        from tao_tui.dataset_nemo import NEMO_FORMATS

        return self._format in ("kitti", "coco", *NEMO_FORMATS)

    def start_scan(self) -> None:
        text = self.query_one("#dataset", Input).value.strip()
        bar = self.query_one("#scan-bar", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("scanning")
        self.query_one("#scan-summary", Static).update(f"[dim]scanning {escape(text)} …[/]")
        self.scan = None
        self._scanned_text = None
        self._cancel.clear()
        self.scan_worker(text)

    @work(thread=True, exclusive=True, group="scan")
    def scan_worker(self, text: str) -> None:
        """Scan the dataset off the UI thread; progress goes to the bar, the result to the summary."""
        from tao_tui.dataset import scan_dataset

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._scan_progress, done, total)

        from tao_tui.dataset_nemo import NEMO_FORMATS  # conversational: manifests, TSV, text+labels

        fmt = self._format if self._format in ("kitti", "coco", *NEMO_FORMATS) else None
        try:
            scan = scan_dataset(Path(text).expanduser(), fmt=fmt, on_progress=progress, cancel=self._cancel)
        except TaoTuiError as err:
            self.app.call_from_thread(self._scan_failed, text, str(err))
            return
        except OSError as err:
            self.app.call_from_thread(self._scan_failed, text,
                                      f"cannot read {text}: {err.strerror or err}; check the folder's permissions")
            return
        self.app.call_from_thread(self._scan_done, text, scan)

    def _scan_progress(self, done: int, total: int) -> None:
        self.query_one("#scan-bar", ProgressBar).update(total=total or None, progress=done)

    def _scan_failed(self, text: str, message: str) -> None:
        self.query_one("#scan-bar", ProgressBar).remove_class("scanning")
        self.query_one("#scan-summary", Static).update("")
        self._set_error("#dataset-error", message)
        self.query_one("#dataset", Input).focus()

    def _scan_done(self, text: str, scan) -> None:
        self.query_one("#scan-bar", ProgressBar).remove_class("scanning")
        self.scan = scan
        self._scanned_text = text
        lines = []
        for line in scan.summary_lines():
            word = line.strip().split(" ", 1)[0]
            style = {"FAIL": "b red", "WARN": "yellow"}.get(word)
            lines.append(f"[{style}]{escape(line)}[/]" if style else escape(line))
        fails = [p for p in scan.problems if p.level == "fail"]
        if fails:
            lines.insert(0, f"[b red]{len(fails)} problem(s) will stop training until fixed (see below).[/] "
                            "You can go on and fix the files later: pre-flight checks again before each stage.")
        lines.append("")
        lines.append("[b]Enter[/b]: next" + (" (the classes found in the labels)" if self.classes_apply() else ""))
        self.query_one("#scan-summary", Static).update("\n".join(lines))
        self.show_step("dataset")  # the breadcrumb may now have the classes step
        self.query_one("#dataset", Input).focus()

    # ------------------------------------------------------------------ classes
    async def fill_classes(self) -> None:
        from tao_tui.dataset import default_mapping

        rows = self.query_one("#class-rows", VerticalScroll)
        sources = [src for src, _ in default_mapping(self.scan)]
        if sources == self._class_sources:
            return  # keep what the user typed when they come back to this step
        self._class_sources = sources
        await rows.remove_children()
        kind = self._class_kind()
        for i, src in enumerate(sources):
            count = self.scan.classes.get(src, 0)
            raw = sorted(n for n in self.scan.raw_names if n.lower() == src and n != src)
            shown = f"{src} [dim]({', '.join(raw)})[/]" if raw else src
            row = Horizontal(Label(f"{shown}  [dim]{count} objects[/] →"), Input(src, id=f"class-{i}"),
                             classes="class-row")
            await rows.mount_all([row, Static("", id=f"class-{i}-error", classes="class-error")])
        target_word = "class" if kind == "class_mapping" else "name"
        self.query_one("#classes-intro", Static).update(
            f"[b]Classes[/b]: each label in your dataset (left, with its objects) trains the {target_word} on the "
            "right. Type the same target for several labels to merge them (e.g. pallet → forklift).")
        notes = []
        dropped = self._dropped_defaults(sources)
        if dropped:
            notes.append(f"NVIDIA's example classes not in your labels are dropped: {', '.join(dropped)}.")
        capitals = sorted(n for n in self.scan.raw_names if n != n.lower())
        if capitals:
            notes.append("TAO lower-cases label names, so " + ", ".join(capitals[:4])
                         + (" …" if len(capitals) > 4 else "") + " are shown lower-case.")
        self.query_one("#classes-note", Static).update(escape(" ".join(notes)))

    def _class_kind(self) -> str:
        return next((p.type for p in self.net.safe_params if p.type in ("class_mapping", "class_list")),
                    "class_mapping")

    def _dropped_defaults(self, sources: list[str]) -> list[str]:
        from tao_tui.specs.params import as_list, as_mapping

        p = next((p for p in self.net.safe_params if p.type in ("class_mapping", "class_list")), None)
        if p is None:
            return []
        try:
            names = [s for s, _ in as_mapping(p.default)] if p.type == "class_mapping" else as_list(p.default)
        except TaoTuiError:
            return []
        return [n for n in dict.fromkeys(names) if n.lower() not in sources]

    def _check_class_input(self, inp: Input) -> bool:
        from tao_tui.specs.params import check_class_name

        i = int(inp.id.split("-")[1])
        src = self._class_sources[i] if i < len(self._class_sources) else "?"
        role = "class" if self._class_kind() == "class_mapping" else "name"
        try:
            if not inp.value.strip():
                from tao_tui.errors import ValidationError

                raise ValidationError(f"class of '{src}'", "every labelled class needs a target class",
                                      f"type '{src}' to keep it, or the name of a class to merge it into")
            check_class_name(f"class of '{src}'", inp.value, role)
        except TaoTuiError as err:
            box = self.query_one(f"#class-{i}-error", Static)
            box.update(escape(str(err)))
            box.add_class("shown")
            return False
        box = self.query_one(f"#class-{i}-error", Static)
        box.update("")
        box.remove_class("shown")
        return True

    def class_pairs(self) -> list[tuple[str, str]] | None:
        if not self.classes_apply():
            return None
        return [(src, self.query_one(f"#class-{i}", Input).value.strip())
                for i, src in enumerate(self._class_sources)]

    # ------------------------------------------------------------------ GPUs
    @work(thread=True, exclusive=True, group="gpus")
    def read_gpus(self) -> None:
        try:
            from tao_tui.runtime.gpu import read_gpus

            state = read_gpus(ttl=5.0)
            if state.gpus:
                names = sorted({g.name for g in state.gpus})
                text = f"This machine has {len(state.gpus)} GPU(s): {', '.join(names)}."
            else:
                text = ("No NVIDIA GPU found on this machine" + (f" ({state.reason})" if state.reason else "")
                        + ": you can set up the project here; training needs a GPU machine.")
        except Exception as err:  # the hint must not stop the set-up
            text = f"Could not look for GPUs ({err}); `tao-tui doctor` says more."
        self.app.call_from_thread(self._gpus_found, text)

    def _gpus_found(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#gpus-found", Static).update(f"[dim]{escape(text)}[/]")
            from tao_tui.workflow.stages import version_tuple

            version = str(self.query_one("#version", Select).value)
            try:
                old = version_tuple(version) < (5,)
            except (TaoTuiError, ValueError):
                old = False
            note = ("TAO before 5.0 encrypts every model with this key: you need it for every stage. "
                    if old else "TAO 5 and later need it only for encrypted (.tlt/.etlt) models. ")
            self.query_one("#key-note", Static).update(
                f"[dim]{note}NVIDIA's pretrained models use the key they were published with (often "
                "tlt_encode). It is never written to disk: next time, export KEY=... before starting.[/]")

    # ------------------------------------------------------------------ create
    def project_args(self) -> dict:
        """What the steps hold, as ``create_project`` keyword arguments (plus ``root``)."""
        folder, _, _ = check_new_folder(self.query_one("#dir", Input).value)
        sets = []
        for i, p in enumerate(self.values):
            text = self.query_one(f"#value-{i}", Input).value.strip()
            if text != plain_value(p.default):
                sets.append((p.path, text))
        version = self.query_one("#version", Select).value
        try:
            gpus = int(self.query_one("#gpus", Input).value.strip())
        except ValueError:
            gpus = 1
        return {
            "root": folder,
            "tao_version": None if version is Select.BLANK else str(version),
            "dataset": self.query_one("#dataset", Input).value.strip() or None,
            "sets": sets,
            "classes": self.class_pairs(),
            "gpus": gpus,
        }

    def cli_argv(self) -> list[str]:
        """The same project as a `tao-tui new` command line (never with the key)."""
        from tao_tui.workflow.create import format_classes

        a = self.project_args()
        argv = ["tao-tui", "new", "--network", self.network, "--dir", str(a["root"] or "DIR")]
        if a["tao_version"]:
            argv += ["--tao-version", a["tao_version"]]
        if a["dataset"]:
            argv += ["--dataset", a["dataset"]]
        if a["classes"]:
            argv += ["--classes", format_classes(a["classes"]).replace(", ", ",")]
        for path, value in a["sets"]:
            argv += ["--set", f"{path}={value}"]
        if a["gpus"] != 1:
            argv += ["--gpus", str(a["gpus"])]
        return [*argv, "--yes"]

    def show_cli_line(self) -> None:
        import shlex

        self.query_one("#cli-line", Static).update(
            "[dim]The same from the command line:[/]\n[dim]" + escape(shlex.join(self.cli_argv())) + "[/]")

    def create(self) -> None:
        from tao_tui.workflow.create import create_project

        for step in self.active_steps():
            if not self.validate_step(step):
                self.show_step(step)
                self.validate_step(step)
                return
        args = self.project_args()
        folder = args.pop("root")
        key = self.query_one("#key", Input).value or None
        try:
            project = create_project(folder, self.network, **args)
        except TaoTuiError as err:
            self._show_create_error(err)
            return
        except OSError as err:
            self.show_step("folder")
            self._set_error("#dir-error", f"cannot create {folder}: {err.strerror or err}; pick another folder")
            return
        self._cancel.set()
        from tao_tui.ui.screens.start import StartScreen

        app = self.app
        while len(app.screen_stack) > 1 and not isinstance(app.screen_stack[-1], StartScreen):
            app.pop_screen()
        app.open_project(project.root, key=key)

    def _show_create_error(self, err: TaoTuiError) -> None:
        field = (getattr(err, "field", None) or "").strip()
        step = FIELD_STEP.get(field)
        if step is None:
            if any(p.path == field or p.key == field for p in self.values):
                step = "values"
            elif field and any(p.path == field for p in self.net.safe_params if p.type.startswith("class")):
                step = "classes"
            else:
                step = "values"
        if step not in self.active_steps():
            step = "values"
        self.show_step(step)
        target = {"folder": "#dir-error", "dataset": "#dataset-error", "gpus": "#gpus-error",
                  "classes": "#classes-note", "values": "#values-error"}[step]
        if step == "values":
            for i, p in enumerate(self.values):
                if p.path == field or p.key == field:
                    target = f"#value-{i}-error"
        box = self.query_one(target, Static)
        box.update(f"[b red]{escape(str(err))}[/]")
        box.add_class("shown")


def _gpus_problem(text: str) -> str:
    text = text.strip()
    try:
        n = int(text)
    except ValueError:
        return f"'{text}' is not a whole number: type 1, or how many GPUs to train on"
    if n < 1:
        return f"{n} GPUs cannot train: type 1 or more"
    if n > 64:
        return f"{n} GPUs is more than one machine holds: type how many this machine has"
    return ""
