"""Serial numbers of one document line: typed or scanned when receiving (SerialEntryScreen),
picked from what is in stock when issuing (SerialPickerScreen). Both are the one form reached from
the document line and from the item detail view of that line."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.worker import get_current_worker

from store.documents import KINDS, check_serial
from store.errors import Refusal
from store.lookups import list_serials, oldest_in_stock
from store.serials import normalize_serial

from .common import (ConfirmScreen, KeyFooter, Plain, StatusLine, call_store, describe, fit_columns, fmt_day, plain,
                     store_connection)
from .dialogs import GenerateDialog, PasteDialog

SHOWN = 500  # entered serials listed on screen (the newest); the count covers them all


@dataclass
class SerialContext:
    kind: str
    item: str
    item_name: str
    quantity: int
    warehouse: str | None
    document: str | None  # the saved document being edited, if any
    line: int

    @property
    def receives(self) -> bool:
        return KINDS[self.kind].receives


def serial_form(ctx: SerialContext, serials: list[str], live=None) -> Screen:
    """The form for this line: entry when receiving, picker when issuing. ``live(serials)`` is told
    of every change as it happens (the document keeps its draft with it)."""
    form = SerialEntryScreen(ctx, serials) if ctx.receives else SerialPickerScreen(ctx, serials)
    form.live = live
    return form


def count_text(n: int, qty: int) -> str:
    """17/20 short 3 - the state in words, not by colour alone."""
    if n == qty:
        return f"{n}/{qty} complete"
    if n < qty:
        return f"{n}/{qty} short {qty - n}"
    return f"{n}/{qty} {n - qty} too many"


def _tell_live(form, serials: list[str]) -> None:
    """Tell the document of a change in the line's serials (and only of a change)."""
    if form.live is not None and serials != getattr(form, "_told", None):
        if hasattr(form, "_told"):
            form.live(serials)
        form._told = list(serials)


class ScanInput(Input):
    """The scan field. Enter or Tab ends a scan, handled here as the key arrives: a scanner sends the
    characters and the terminator in one burst, and Textual checks ordinary bindings only after the
    input has already taken the characters that follow, which would merge two scans into one.
    A pasted list becomes many serials rather than its first line."""

    class Scanned(Message):
        def __init__(self, input: "ScanInput", text: str) -> None:
            super().__init__()
            self.input = input
            self.text = text

        @property
        def control(self) -> "ScanInput":
            return self.input

    class Many(Message):
        """A pasted list."""

        def __init__(self, input: "ScanInput", text: str) -> None:
            super().__init__()
            self.input = input
            self.text = text

        @property
        def control(self) -> "ScanInput":
            return self.input

    routed = False  # characters were typed into it while a list had the focus (route_scan_key)

    async def _on_key(self, event) -> None:
        if event.key in ("enter", "tab"):
            event.stop()
            event.prevent_default()
            text, self.value = self.value, ""
            self.post_message(self.Scanned(self, text))
            return
        await super()._on_key(event)

    def _on_paste(self, event) -> None:
        if any(sep in event.text for sep in "\n\r,;\t"):
            event.stop()
            event.prevent_default()
            self.post_message(self.Many(self, event.text))
            return
        super()._on_paste(event)


def route_scan_key(screen, event, scan: ScanInput, *, keep_space: bool = False) -> None:
    """For a screen's on_key: a scan made while a list has the focus goes into the scan field, not to
    the list (where its letters and its Enter would act on the row under the cursor). The focus stays
    put until the terminator, so that every key of the burst arrives by the same way, in order."""
    if screen.focused is scan or isinstance(screen.focused, Input):
        return
    if event.key in ("enter", "tab"):
        if scan.routed and scan.value:
            event.stop()
            event.prevent_default()
            scan.routed = False
            text, scan.value = scan.value, ""
            scan.post_message(ScanInput.Scanned(scan, text))
            scan.focus()
        return
    ch = event.character
    if ch and ch.isprintable() and not (keep_space and ch == " "):
        event.stop()
        event.prevent_default()
        scan.routed = True
        scan.insert_text_at_cursor(ch)



class SerialEntryScreen(Screen[list[str] | None]):
    """Receiving: the focus stays in one input; each scan (Enter or Tab) adds a serial at once and a
    refused one rings the bell and says why on the status line.

    Scans end with Enter or Tab (see ScanInput)."""

    TITLE = "Serial entry"
    HELP_EXTRA = [("Enter/Tab", "End a scan: the serial is added"), ("Down", "To the list (Esc: back to the scan)")]
    live = None  # told of every change (serial_form)

    BINDINGS = [
        Binding("f10", "done", "Done", id="entry.done"),
        Binding("escape", "back", "Done", show=False, id="entry.back"),
        Binding("f3", "paste", "Paste", id="entry.paste"),
        Binding("f4", "generate", "Generate", id="entry.generate"),
        Binding("f6", "remove", "Delete", id="entry.delete"),
        Binding("f8", "clear", "Clear all", id="entry.clear"),
        Binding("f7", "from_excel", "From .xlsx", id="entry.excel"),
        Binding("down", "to_list", "List", show=False, id="entry.list"),
    ]

    def __init__(self, ctx: SerialContext, serials: list[str]) -> None:
        super().__init__()
        self.ctx = ctx
        self.serials: list[str] = list(serials)
        self.pending: set[str] = set()
        self.checks: queue.Queue = queue.Queue()
        self.checks_lock = threading.Lock()
        self.checking = False

    def compose(self) -> ComposeResult:
        yield Plain(f"Line {self.ctx.line} {self.ctx.item}", classes="screen-title", id="what")
        yield Plain("", id="count")
        yield ScanInput(placeholder="Scan or type serial", compact=True, id="scan")
        yield OptionList(id="entered")
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        self._fill_list()
        self.query_one("#scan", Input).focus()

    # --- the list and the count ---------------------------------------------------------------
    def _label(self, code: str) -> str:
        return f"{code}  (checking)" if code in self.pending else code

    def _fill_list(self) -> None:
        ol = self.query_one("#entered", OptionList)
        ol.clear_options()
        shown = self.serials[-SHOWN:]
        if len(self.serials) > SHOWN:
            ol.add_option(f"... {len(self.serials) - SHOWN} earlier (type one and F6 deletes it)")
        ol.add_options(plain(*[self._label(s) for s in shown]))
        if ol.option_count:
            ol.highlighted = ol.option_count - 1
        self._update_count()

    def _update_count(self) -> None:
        n, q = len(self.serials), self.ctx.quantity
        widget = self.query_one("#count", Static)
        widget.update(count_text(n, q))
        widget.set_class(n != q, "-short")
        _tell_live(self, self.serials)

    def _add(self, codes: list[str]) -> int:
        added = 0
        have = set(self.serials)
        refused = []
        for raw in codes:
            try:
                code = normalize_serial(raw)
            except Refusal as r:
                refused.append(r.message)
                continue
            if code in have:
                refused.append(f"Serial {code} is entered already.")
                continue
            have.add(code)
            self.serials.append(code)
            self.pending.add(code)
            self._queue_check(code)
            added += 1
        if len(codes) == 1 and added == 1:
            ol = self.query_one("#entered", OptionList)
            ol.add_option(plain(self._label(self.serials[-1]))[0])
            ol.highlighted = ol.option_count - 1
            self._update_count()
        else:
            self._fill_list()
        if refused:
            more = f" (+{len(refused) - 1} more)" if len(refused) > 1 else ""
            self.status.say(refused[0] + more, error=True)
        elif added:
            self.status.say(f"Added {codes[-1].strip() if len(codes) == 1 else f'{added} serials'}.", minor=True)
        return added

    # --- scanning -----------------------------------------------------------------------------
    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        if not event.text.strip():
            self.status.say("An empty scan: scan the serial again.", error=True)
            return
        self._add([event.text])

    @on(ScanInput.Many, "#scan")
    def _pasted(self, event: ScanInput.Many) -> None:
        from store.serials import split_serials

        self._add(split_serials(event.text))

    def _queue_check(self, code: str) -> None:
        """Queue a scan for the database check; a worker drains the queue in order and then ends."""
        with self.checks_lock:
            self.checks.put(code)
            if self.checking:
                return
            self.checking = True
        self.checker()

    @work(thread=True, group="scan-check")
    def checker(self) -> None:
        """Checks scans against the database in the order they came, off the event loop."""
        worker = get_current_worker()
        with store_connection(self.app):
            while not worker.is_cancelled:
                with self.checks_lock:
                    try:
                        code = self.checks.get_nowait()
                    except queue.Empty:
                        self.checking = False
                        return
                try:
                    check_serial(self.ctx.kind, self.ctx.item, code, warehouse=self.ctx.warehouse,
                                 document=self.ctx.document)
                    problem = None
                except Exception as exc:
                    problem = describe(exc)
                self.app.call_from_thread(self._checked, code, problem)

    def _checked(self, code: str, problem: str | None) -> None:
        self.pending.discard(code)
        if problem is None:
            if not self.pending:
                self._fill_list_labels()
            return
        if code in self.serials:
            self.serials.remove(code)
        self._fill_list()
        self.status.say(problem, error=True)

    def _fill_list_labels(self) -> None:
        ol = self.query_one("#entered", OptionList)
        offset = 1 if len(self.serials) > SHOWN else 0
        for i, code in enumerate(self.serials[-SHOWN:]):
            if offset + i < ol.option_count:
                ol.replace_option_prompt_at_index(offset + i, plain(code)[0])

    # --- other keys ---------------------------------------------------------------------------
    def on_key(self, event) -> None:
        route_scan_key(self, event, self.query_one("#scan", ScanInput))

    def action_to_list(self) -> None:
        self.query_one("#entered", OptionList).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#entered"):
            self.query_one("#scan", Input).focus()
            return
        self.action_done()

    def action_done(self) -> None:
        self.dismiss(list(self.serials))

    def action_paste(self) -> None:
        self.app.push_screen(PasteDialog(), lambda codes: codes and self._add(codes))

    def action_from_excel(self) -> None:
        """A supplier's list: the serials in one column of an .xlsx, counted like any other entry."""
        from .excel import FileJob, serial_column_job

        def loaded(result):
            if result and not isinstance(result, str):
                self._add(result[1])

        self.app.push_screen(FileJob("Serials from a spreadsheet", "", serial_column_job,
                                     extra=("Column: header, letter or number (empty: Serial)", "")), loaded)

    def action_generate(self) -> None:
        remaining = max(self.ctx.quantity - len(self.serials), 1)
        self.app.push_screen(GenerateDialog(remaining), lambda codes: codes and self._add(codes))

    def action_remove(self) -> None:
        scan = self.query_one("#scan", Input)
        typed = scan.value.strip()
        if typed:
            if typed in self.serials:
                self.serials.remove(typed)
                scan.value = ""
                self._fill_list()
                self.status.say(f"Deleted {typed}.", bell=False)
            else:
                self.status.say(f"Serial {typed} is not on this line.", error=True)
            return
        ol = self.query_one("#entered", OptionList)
        index = ol.highlighted
        if index is None or not self.serials:
            return
        offset = 1 if len(self.serials) > SHOWN else 0
        pos = len(self.serials) - min(len(self.serials), SHOWN) + index - offset
        if index < offset or pos >= len(self.serials):
            return
        code = self.serials.pop(pos)
        self.pending.discard(code)
        ol.remove_option_at_index(index)
        self._update_count()
        self.status.say(f"Deleted {code}.", bell=False)

    def action_clear(self) -> None:
        if not self.serials:
            return

        def answered(yes):
            if yes:
                self.serials.clear()
                self.pending.clear()
                self._fill_list()
                self.status.say("All serials of this line cleared.", bell=False)
            self.query_one("#scan", Input).focus()

        n = len(self.serials)
        self.app.push_screen(ConfirmScreen(f"Clear {'the 1 serial' if n == 1 else f'all {n} serials'} of this line?"),
                             answered)

    @on(OptionList.OptionSelected, "#entered")
    def _list_enter(self, event) -> None:
        self.query_one("#scan", Input).focus()


class SerialPickerScreen(Screen[list[str] | None]):
    """Issuing: pick from the serials of that item in stock in the document's warehouse. Typing
    filters; a whole serial and Enter (a scan) selects it; Space or Enter on the list toggles."""

    TITLE = "Serial picker"
    HELP_EXTRA = [("Enter/Tab", "End a scan: the serial is selected if it is in stock here"),
                  ("Down", "To the list"), ("Space/Enter", "On the list: select or deselect")]
    live = None  # told of every change (serial_form)

    PAGE = 100
    BINDINGS = [
        Binding("f10", "done", "Done", id="picker.done"),
        Binding("escape", "back", "Done", show=False, id="picker.back"),
        Binding("f4", "oldest", "Oldest N", id="picker.oldest"),
        Binding("f7", "show_selected", "Selected", id="picker.selected"),
        Binding("f8", "clear", "Clear", id="picker.clear"),
        Binding("space", "toggle", "Toggle", show=False, id="picker.toggle"),
        Binding("down", "to_list", "List", show=False, id="picker.list"),
    ]

    def __init__(self, ctx: SerialContext, serials: list[str]) -> None:
        super().__init__()
        self.ctx = ctx
        self.selected: list[str] = list(serials)
        self.rows = []
        self.more = False
        self.only_selected = False
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Plain(f"Line {self.ctx.line} {self.ctx.item} from {self.ctx.warehouse or ''}",
                     classes="screen-title", id="what")
        yield Plain("", id="count")
        yield ScanInput(placeholder="Filter, or scan a serial", compact=True, id="scan")
        table = DataTable(cursor_type="row", id="available")
        table.add_column("Pick", width=4, key="pick")
        table.add_column("Serial", key="serial")
        table.add_column("Received", key="received")
        yield table
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def table(self) -> DataTable:
        return self.query_one("#available", DataTable)

    def on_mount(self) -> None:
        self._update_count()
        self.query_one("#scan", Input).focus()
        self.load()

    def _update_count(self) -> None:
        n, q = len(self.selected), self.ctx.quantity
        w = self.query_one("#count", Static)
        w.update(count_text(n, q) + ("   (showing selected)" if self.only_selected else ""))
        w.set_class(n != q, "-short")
        _tell_live(self, self.selected)

    # --- loading ------------------------------------------------------------------------------
    def load(self, *, append: bool = False) -> None:
        prefix = self.query_one("#scan", Input).value.strip() or None
        after = (self.rows[-1].code, self.rows[-1].id) if append and self.rows else None
        call_store(self, list_serials, item=self.ctx.item, warehouse=self.ctx.warehouse, prefix=prefix,
                   after=after, limit=self.PAGE, group="picker", exclusive=True,
                   done=lambda rows: self._show(rows, append),
                   failed=lambda exc: self.status.say(describe(exc), error=True))

    def _show(self, rows, append: bool) -> None:
        self.more = len(rows) >= self.PAGE
        t = self.table
        if not append:
            self.rows = []
            t.clear()
        self.rows += rows
        chosen = set(self.selected)
        for r in rows:
            t.add_row(*plain("[x]" if r.code in chosen else "[ ]", r.code,
                      f"{r.received_by or ''} {fmt_day(r.received_on)}".strip()),
                      key=r.code)
        fit_columns(t, [["[x]", r.code, f"{r.received_by or ''} {fmt_day(r.received_on)}"] for r in self.rows])
        if not self.rows and not append:
            self.status.say("No serial of this item in stock here matches." if self.query_one("#scan", Input).value
                            else f"No {self.ctx.item} in stock in {self.ctx.warehouse}.", bell=False)

    def _show_selected(self) -> None:
        t = self.table
        t.clear()
        self.rows = []
        for code in self.selected:
            t.add_row(*plain("[x]", code, ""), key=code)

    @on(DataTable.RowHighlighted, "#available")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if not self.only_selected and self.more and event.cursor_row >= len(self.rows) - 5:
            self.more = False
            self.load(append=True)

    @on(Input.Changed, "#scan")
    def _filter(self, event: Input.Changed) -> None:
        if self.only_selected:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.12, self.load)

    # --- selecting ----------------------------------------------------------------------------
    def _set_mark(self, code: str, on_: bool) -> None:
        try:
            self.table.update_cell(code, "pick", plain("[x]" if on_ else "[ ]")[0])
        except Exception:
            pass

    def _toggle(self, code: str) -> None:
        if code in self.selected:
            self.selected.remove(code)
            self._set_mark(code, False)
            self.status.say(f"Deselected {code}.", bell=False)
        else:
            self.selected.append(code)
            self._set_mark(code, True)
            self.status.say(f"Selected {code}.", bell=False)
        self._update_count()

    def action_toggle(self) -> None:
        if self.focused is not self.table:
            return
        row = self.table.cursor_row
        keys = list(self.table.rows.keys())
        if 0 <= row < len(keys):
            self._toggle(keys[row].value)

    @on(DataTable.RowSelected, "#available")
    def _row_enter(self, event: DataTable.RowSelected) -> None:
        self._toggle(event.row_key.value)

    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        code = event.text.strip()
        if not code:
            self.status.say("An empty scan: scan the serial again.", error=True)
            return
        self._pick([code])

    @on(ScanInput.Many, "#scan")
    def _pasted(self, event: ScanInput.Many) -> None:
        from store.serials import split_serials

        self._pick(split_serials(event.text))

    def _pick(self, codes: list[str]) -> None:
        """Scanned serials: selected if available here, refused (bell, reason) if not."""
        for code in codes:
            if code in self.selected:
                self.status.say(f"Serial {code} is selected already.", error=True)
                continue
            self.selected.append(code)
            self._update_count()

            def failed(exc, code=code):
                if code in self.selected:
                    self.selected.remove(code)
                self._update_count()
                self._set_mark(code, False)
                self.status.say(describe(exc), error=True)

            call_store(self, check_serial, self.ctx.kind, self.ctx.item, code, warehouse=self.ctx.warehouse,
                       document=self.ctx.document, group="picker-scan",
                       done=lambda _, code=code: (self._set_mark(code, True),
                                                  self.status.say(f"Selected {code}.", minor=True)),
                       failed=failed)

    def action_oldest(self) -> None:
        need = self.ctx.quantity - len(self.selected)
        if need <= 0:
            self.status.say("The line has all its serials already.", error=True, bell=False)
            return

        def done(codes):
            for c in codes:
                if c not in self.selected:
                    self.selected.append(c)
                    self._set_mark(c, True)
            self._update_count()
            self.status.say((f"Took the oldest in stock: {', '.join(codes)}." if len(codes) <= 3 else
                             f"Took the {len(codes)} oldest in stock.") if codes else "Nothing more in stock here.",
                            error=not codes)

        call_store(self, oldest_in_stock, self.ctx.item, self.ctx.warehouse or "", need,
                   exclude=set(self.selected), done=done)

    def action_show_selected(self) -> None:
        self.only_selected = not self.only_selected
        if self.only_selected:
            self._show_selected()
        else:
            self.load()
        self._update_count()

    def action_clear(self) -> None:
        for c in list(self.selected):
            self._set_mark(c, False)
        self.selected.clear()
        if self.only_selected:
            self._show_selected()
        self._update_count()
        self.status.say("Selection cleared.", bell=False)

    def on_key(self, event) -> None:
        route_scan_key(self, event, self.query_one("#scan", ScanInput), keep_space=True)

    def action_to_list(self) -> None:
        self.table.focus()

    def action_back(self) -> None:
        if self.focused is self.table:
            self.query_one("#scan", Input).focus()
            return
        self.action_done()

    def action_done(self) -> None:
        self.dismiss(list(self.selected))
