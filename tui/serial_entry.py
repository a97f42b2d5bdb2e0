"""Serial numbers of one document line: typed or scanned when receiving (SerialEntryScreen),
picked from what is in stock when issuing (SerialPickerScreen). Both are the one form reached from
the document line and from the item detail view of that line."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from store.documents import KINDS, check_serial
from store.errors import Refusal
from store.lookups import count_serials, list_serials, oldest_in_stock
from store.serials import normalize_serial

from .common import ConfirmScreen, call_store, describe, fmt_day, plain, store_connection
from .dialogs import GenerateDialog, PasteDialog
from .paged_list import PagedList
from .widgets import KeyFooter, Plain, ScanInput, StatusLine, route_scan_key

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
    elsewhere: dict | None = None  # serial -> line number, on this item's other lines of the document

    @property
    def receives(self) -> bool:
        return KINDS[self.kind].receives


def serial_form(ctx: SerialContext, serials: list[str], live=None, taken: dict[str, str] | None = None) -> Screen:
    """The form for this line: entry when receiving, picker when issuing. ``live(serials)`` is told
    of every change as it happens (the document keeps its draft with it); ``live.marks``, when it has
    them, are the line's (lots, expiries) by serial, which the serial entry fills from GS1 scans. ``taken``: serials a save
    found taken by someone else meanwhile (serial -> the refusal), said on the form as it opens."""
    form = SerialEntryScreen(ctx, serials, getattr(live, "marks", None)) if ctx.receives \
        else SerialPickerScreen(ctx, serials)
    form.live = live
    form.taken = dict(taken or {})
    return form


def gs1_serial(form, text: str):
    """A GS1 scan on a serial form: (serial, GTIN, lot, expiry date) to add or pick, checked against the
    line's item by the store (lot and expiry None when the code has none); None when the scan is not GS1
    (a plain serial); False when it was refused (said, with the bell)."""
    from store.gs1 import parse_scan, serial_of

    try:
        scan = parse_scan(text)
        if scan is None:
            return None
        return serial_of(scan), scan.gtin, scan.lot, scan.expiry
    except Refusal as r:
        form.status.say(str(r), error=True)
        return False


def say_taken(form) -> None:
    """On a serial form that opens: every serial the last save found taken, each a refusal (ctrl+l)."""
    for serial, why in (getattr(form, "taken", None) or {}).items():
        form.status.say(f"Taken off this line: {why}", error=True, bell=False)


def close_when_checked(form, in_flight: int, serials: list[str]) -> None:
    """F10/Esc on a serial form: close with ``serials`` at once when no scan is being checked; else
    say so and close when the last check has answered (the form calls this again then), so that a
    scan refused after the key never reaches the line. A refusal among those answers keeps the form
    open (stay_open): the operator sees why, and F10 closes."""
    if in_flight:
        if not form.closing:
            form.closing = True
            form.app.hold_keys(at_most=form.CLOSE_WAIT_AT_MOST)  # keys pressed meanwhile are for the document
        form.status.say(f"Checking {in_flight} scan{'' if in_flight == 1 else 's'} before closing...",
                        bell=False)
        return
    form.closing = False
    form.closed = True
    form.dismiss(list(serials))  # the held keys go to the document once it has its focus again


def stay_open(form, why: str) -> None:
    """A scan refused while the form waited to close: it stays open, saying why; keys pressed after
    F10 (held for the document) are not used, and named, so that none is lost without a word."""
    form.closing = False
    held = form.app.drop_held_keys()
    keys = form.app.describe_keys(held)
    form.status.say(f"Not closed{f' ({keys} not used)' if keys else ''}: {why} F10 closes.", error=True)


def count_text(n: int, qty: int) -> str:
    """17/20 short 3 - the state in words, not by colour alone."""
    if n == qty:
        return f"{n}/{qty} complete"
    if n < qty:
        return f"{n}/{qty} short {qty - n}"
    return f"{n}/{qty} {n - qty} too many"


def _tell_live(form, serials: list[str]) -> None:
    """Tell the document of a change in the line's serials (and only of a change); a form that has
    closed tells nothing more (the line holds what it closed with)."""
    if getattr(form, "closed", False):
        return
    if form.live is not None and serials != getattr(form, "_told", None):
        if hasattr(form, "_told"):
            form.live(serials)
        form._told = list(serials)


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

    def __init__(self, ctx: SerialContext, serials: list[str], marks: tuple[dict, dict] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.serials: list[str] = list(serials)
        # the line's lot and expiry date by serial, as GS1 scans gave them (the line's own dicts when given)
        self.lots, self.expiries = marks if marks is not None else ({}, {})
        self.pending: set[str] = set()
        self.checks: queue.Queue = queue.Queue()
        self.checks_lock = threading.Lock()
        self.checking = False
        self.closing = False  # F10/Esc came while scans were being checked: close once they are
        self.closed = False
        self.gtins: dict[str, str] = {}  # serial -> the GTIN its GS1 scan carried (checked against the item)

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
        say_taken(self)

    # --- the list and the count ---------------------------------------------------------------
    def _label(self, code: str) -> str:
        shown = code
        lot, expiry = self.lots.get(code), self.expiries.get(code)
        if lot:
            shown += f"  lot {lot}"
        if expiry:
            shown += f"  exp {expiry.isoformat()}"
        return f"{shown}  (checking)" if code in self.pending else shown

    def _forget(self, code: str) -> None:
        """A serial taken off the line: its lot and expiry date go with it."""
        self.lots.pop(code, None)
        self.expiries.pop(code, None)

    EARLIER = "__earlier"  # the id of the first row when more serials are entered than shown

    def _fill_list(self) -> None:
        ol = self.query_one("#entered", OptionList)
        ol.clear_options()
        shown = self.serials[-SHOWN:]
        if len(self.serials) > SHOWN:
            ol.add_option(Option(self._earlier_text(), id=self.EARLIER))
        ol.add_options([Option(plain(self._label(s))[0], id=s) for s in shown])
        if ol.option_count:
            ol.highlighted = ol.option_count - 1
        self._update_count()

    def _earlier_text(self) -> str:
        return f"... {len(self.serials) - SHOWN} earlier (type one and F6 deletes it)"

    def _append_row(self, code: str) -> None:
        """One serial more at the end of the list, which keeps to the newest SHOWN."""
        ol = self.query_one("#entered", OptionList)
        ol.add_option(Option(plain(self._label(code))[0], id=code))
        if len(self.serials) > SHOWN:
            if ol.option_count and ol.get_option_at_index(0).id == self.EARLIER:
                ol.remove_option_at_index(1)
                ol.replace_option_prompt_at_index(0, self._earlier_text())
            else:
                self._fill_list()
                return
        ol.highlighted = ol.option_count - 1
        self._update_count()

    def _update_count(self) -> None:
        n, q = len(self.serials), self.ctx.quantity
        widget = self.query_one("#count", Static)
        widget.update(count_text(n, q))
        widget.set_class(n != q, "-short")
        _tell_live(self, self.serials)

    def _add(self, codes: list[str], gtin: str | None = None, lot: str | None = None, expiry=None) -> int:
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
            if gtin is not None:
                self.gtins[code] = gtin
            self._forget(code)  # typed by hand: none; a GS1 scan: what it carries
            if lot:
                self.lots[code] = lot
            if expiry:
                self.expiries[code] = expiry
            self._queue_check(code)
            added += 1
        if len(codes) == 1 and added == 1:
            self._append_row(self.serials[-1])
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
        gs1 = gs1_serial(self, event.text)
        if gs1 is False:
            return
        if gs1 is not None:
            self._add([gs1[0]], gtin=gs1[1], lot=gs1[2], expiry=gs1[3])
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
        """Checks scans against the database in the order they came, off the event loop. Only a
        refusal removes a scan: after any other error (the database unreachable, busy) the scan stays,
        marked unchecked, and is checked again."""
        worker = get_current_worker()
        code = None
        verdicts: list[tuple[str, str | None]] = []
        told = time.monotonic()
        try:
            with store_connection(self.app):
                while not worker.is_cancelled:
                    with self.checks_lock:
                        try:
                            code = self.checks.get_nowait()
                        except queue.Empty:
                            code = None
                    if code is None:
                        if verdicts:
                            self.app.call_from_thread(self._checked_many, verdicts)
                            verdicts = []
                        with self.checks_lock:
                            idle = self.checks.empty()
                            if idle:
                                self.checking = False
                        if idle:
                            # told outside the lock: call_from_thread waits for the event loop, which takes
                            # the lock to queue the next scan (told inside it, both waited for good)
                            self.app.call_from_thread(self._checks_idle)
                            return
                        continue
                    try:
                        check_serial(self.ctx.kind, self.ctx.item, code, warehouse=self.ctx.warehouse,
                                     document=self.ctx.document, line=self.ctx.line, elsewhere=self.ctx.elsewhere,
                                     gtin=self.gtins.get(code))
                        verdicts.append((code, None))
                    except Refusal as refusal:
                        verdicts.append((code, describe(refusal)))
                    code = None
                    # verdicts go to the screen in batches: one trip to the busy event loop per batch, not per scan
                    if time.monotonic() - told > self.VERDICTS_EVERY:
                        self.app.call_from_thread(self._checked_many, verdicts)
                        verdicts, told = [], time.monotonic()
        except Exception as exc:  # not a refusal: nothing is removed
            if verdicts:
                self.app.call_from_thread(self._checked_many, verdicts)
            with self.checks_lock:
                left = ([code] if code is not None else []) + list(self.checks.queue)
                self.checks.queue.clear()
                self.checking = False
            self.app.call_from_thread(self._not_checked, left, describe(exc))
            self.app.call_from_thread(self._checks_idle)

    def _checks_idle(self) -> None:
        """The checker has stopped (every scan answered, or the database failed: those stay, unchecked,
        and the save checks them): a close asked for meanwhile happens now."""
        if self.closing and not self.closed:
            self.action_done()

    RECHECK_AFTER = 2.0  # seconds, after a database error
    CLOSE_WAIT_AT_MOST = 30.0  # seconds F10 waits for the checks holding keys back (then they go to the form)
    VERDICTS_EVERY = 0.1  # seconds: how often a long run of checks tells the screen

    def _checked_many(self, verdicts: list[tuple[str, str | None]]) -> None:
        for code, problem in verdicts:
            self._checked(code, problem)

    def _not_checked(self, codes: list[str], why: str) -> None:
        codes = [c for c in codes if c in self.serials]
        if not codes:
            return
        for code in codes:
            try:
                self.query_one("#entered", OptionList).replace_option_prompt(code, plain(f"{code}  (not checked)")[0])
            except Exception:
                pass
        self.status.say(f"{len(codes)} scan(s) not checked yet ({why}); they stay and are checked again.",
                        error=True)
        self.set_timer(self.RECHECK_AFTER, lambda: [self._queue_check(c) for c in codes if c in self.pending])

    def _checked(self, code: str, problem: str | None) -> None:
        self.pending.discard(code)
        if problem is None:
            try:  # its row, by id: "(checking)" goes
                self.query_one("#entered", OptionList).replace_option_prompt(code, plain(self._label(code))[0])
            except Exception:
                pass  # not shown (scrolled out of the newest SHOWN, or deleted meanwhile)
            return
        if code in self.serials:
            self.serials.remove(code)
            self._forget(code)
        self._fill_list()
        if self.closing:  # refused after F10: the entry stays open, saying why
            stay_open(self, problem)
        else:
            self.status.say(problem, error=True)

    # --- other keys ---------------------------------------------------------------------------
    def on_key(self, event) -> None:
        route_scan_key(self, event, self.query_one("#scan", ScanInput))

    def action_to_list(self) -> None:
        self.query_one("#entered", OptionList).focus()

    CLOSE_KEYS = {"f10", "escape"}  # keys after these are held for the document (SerialStockApp.on_event)

    def action_back(self) -> None:
        if self.focused is self.query_one("#entered"):
            self.query_one("#scan", Input).focus()
            self.app.release_keys()  # not closing: the keys after Esc are this form's
            return
        self.action_done()

    def action_done(self) -> None:
        close_when_checked(self, 1 if self.checking else 0, self.serials)

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
                self._forget(typed)
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
        self._forget(code)
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
                self.lots.clear()
                self.expiries.clear()
                self._fill_list()
                self.status.say("All serials of this line cleared.", bell=False)
            self.query_one("#scan", Input).focus()

        n = len(self.serials)
        self.app.push_screen(ConfirmScreen(f"Clear {'the 1 serial' if n == 1 else f'all {n} serials'} of this line?"),
                             answered)

    @on(OptionList.OptionSelected, "#entered")
    def _list_enter(self, event) -> None:
        self.query_one("#scan", Input).focus()


class _InStock:
    """The picker's list: the item's serials in stock in the document's warehouse whose code starts
    with the filter, in code order, read a page at a time (tui.paged_list)."""

    def __init__(self, picker: "SerialPickerScreen", prefix: str | None) -> None:
        self.picker, self.prefix = picker, prefix
        self.item, self.warehouse = picker.ctx.item, picker.ctx.warehouse

    def fetch(self, after_row, limit, descending):
        return list_serials(item=self.item, warehouse=self.warehouse, prefix=self.prefix, limit=limit,
                            after=(after_row.code, after_row.id) if after_row else None, descending=descending)

    def count(self):
        return count_serials(item=self.item, warehouse=self.warehouse, prefix=self.prefix)

    def key(self, row):
        return row.code

    def cells(self, row):
        return (self.picker.mark(row.code), row.code, f"{row.received_by or ''} {fmt_day(row.received_on)}".strip())


@dataclass
class _Picked:
    index: int
    code: str


class _Selected:
    """F7's list: the serials selected on the line, in the order they were selected (held in memory)."""

    def __init__(self, picker: "SerialPickerScreen") -> None:
        self.picker = picker
        self.codes = list(picker.selected)

    def fetch(self, after_row, limit, descending):
        n = len(self.codes)
        if descending:
            end = n if after_row is None else after_row.index
            return [_Picked(i, self.codes[i]) for i in range(end - 1, max(-1, end - 1 - limit), -1)]
        start = 0 if after_row is None else after_row.index + 1
        return [_Picked(i, self.codes[i]) for i in range(start, min(n, start + limit))]

    def count(self):
        return len(self.codes)

    def key(self, row):
        return row.code

    def cells(self, row):
        return (self.picker.mark(row.code), row.code, "")


class SerialPickerScreen(Screen[list[str] | None]):
    """Issuing: pick from the serials of that item in stock in the document's warehouse. Typing
    filters; a whole serial and Enter (a scan) selects it; Space or Enter on the list toggles.
    The list reaches every serial in stock however many there are (tui.paged_list.PagedList: a
    window of rows read a page at a time both ways; ctrl+Home / ctrl+End the first / last; where the
    cursor is in its header row)."""

    TITLE = "Serial picker"
    HELP_EXTRA = [("Enter/Tab", "End a scan: the serial is selected if it is in stock here"),
                  ("Down", "To the list"), ("Space/Enter", "On the list: select or deselect"),
                  ("PgUp/PgDn ctrl+Home/End", "Move in the list, also from the field")]
    live = None  # told of every change (serial_form)

    BINDINGS = [
        Binding("f10", "done", "Done", id="picker.done"),
        Binding("escape", "back", "Done", show=False, id="picker.back"),
        Binding("f4", "oldest", "Oldest N", id="picker.oldest"),
        Binding("f7", "show_selected", "Selected", id="picker.selected"),
        Binding("f8", "clear", "Clear", id="picker.clear"),
        Binding("space", "toggle", "Toggle", show=False, id="picker.toggle"),
        Binding("down", "to_list", "List", show=False, id="picker.list"),
    ]
    CLOSE_KEYS = {"f10", "escape"}  # keys after these are held for the document (SerialStockApp.on_event)
    # keys of the list that work while the scan field has the focus (the focus stays there)
    LIST_KEYS = {"pageup": ("page", -1), "pagedown": ("page", 1), "ctrl+home": ("first", None),
                 "ctrl+end": ("last", None)}

    def __init__(self, ctx: SerialContext, serials: list[str]) -> None:
        super().__init__()
        self.ctx = ctx
        self.selected: list[str] = list(serials)
        self._chosen: set[str] = set(self.selected)  # the same serials, for the list's marks
        self.only_selected = False
        self._timer = None
        self._say_empty = False  # the next rows shown are for a new filter: say it when there are none
        self.in_flight = 0  # scans being checked
        self.closing = False  # F10/Esc came while scans were being checked: close once they are
        self.closed = False

    def compose(self) -> ComposeResult:
        yield Plain(f"Line {self.ctx.line} {self.ctx.item} from {self.ctx.warehouse or ''}",
                    classes="screen-title", id="what")
        yield Plain("", id="count")
        yield ScanInput(placeholder="Filter, or scan a serial", compact=True, id="scan")
        yield PagedList([("Pick", 4), ("Serial", None), ("Received", None)], id="available")
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def table(self) -> PagedList:
        return self.query_one("#available", PagedList)

    @property
    def rows(self) -> list:
        """The rows held now (a window of the whole list)."""
        return self.table.rows

    REFRESH_SECONDS = 5.0  # as the agendas: what other operators issued meanwhile shows up
    CLOSE_WAIT_AT_MOST = 30.0  # seconds F10 waits for the checks holding keys back (then they go to the form)
    RECHECK_AT_MOST = 200  # selected serials re-checked at each refresh (more: checked at save)

    def on_mount(self) -> None:
        self._update_count()
        self.query_one("#scan", Input).focus()
        # one item's serials in one warehouse: cheap to count, so `of N` follows other operators' issues
        # at each refresh (the agendas, over every serial, count every few)
        self.table.RECOUNT_EVERY = 1
        self.load()
        say_taken(self)
        self.set_interval(self.REFRESH_SECONDS, self._refresh)

    def mark(self, code: str) -> str:
        return "[x]" if code in self._chosen else "[ ]"

    def _select(self, code: str) -> None:
        if code not in self._chosen:
            self.selected.append(code)
            self._chosen.add(code)

    def _deselect(self, code: str) -> None:
        if code in self._chosen:
            self.selected.remove(code)
            self._chosen.discard(code)

    def _refresh(self) -> None:
        """Read the list again (the cursor stays on its serial) and check the picked serials: one that
        another operator issued meanwhile is unticked, saying by what."""
        if self.app.screen is not self:
            return
        if not self.only_selected:
            self.table.refresh_rows()
        picked = list(self.selected)[: self.RECHECK_AT_MOST]
        if not picked:
            return
        ctx = self.ctx

        def recheck():
            gone = {}
            for code in picked:
                try:
                    check_serial(ctx.kind, ctx.item, code, warehouse=ctx.warehouse, document=ctx.document,
                                 line=ctx.line)
                except Refusal as r:
                    gone[code] = r.reason or str(r)  # the line is in the title: the reason alone
            return gone

        call_store(self, recheck, group="picker-recheck", exclusive=True, done=self._rechecked,
                   failed=lambda exc: None)

    def _rechecked(self, gone: dict[str, str]) -> None:
        for code, why in gone.items():
            if code in self._chosen:
                self._deselect(code)
                self._set_mark(code, False)
                self.status.say(f"Taken off this line: {why}", error=True)
        if gone:
            self._update_count()

    def _update_count(self) -> None:
        n, q = len(self.selected), self.ctx.quantity
        w = self.query_one("#count", Static)
        w.update(count_text(n, q) + ("   (showing selected)" if self.only_selected else ""))
        w.set_class(n != q, "-short")
        _tell_live(self, self.selected)

    # --- loading ------------------------------------------------------------------------------
    def load(self) -> None:
        """The list from its start, filtered by what the field holds."""
        prefix = self.query_one("#scan", Input).value.strip() or None
        self._say_empty = True
        t = self.table
        t.source = _InStock(self, prefix)
        t.reset(failed=lambda exc: self.status.say(describe(exc), error=True))

    @on(PagedList.Loaded, "#available")
    def _loaded(self, event: PagedList.Loaded) -> None:
        self.on_rows_shown()
        if not self._say_empty:
            return
        self._say_empty = False
        if not self.table.rows and not self.only_selected:
            self.status.say("No serial of this item in stock here matches." if self.query_one("#scan", Input).value
                            else f"No {self.ctx.item} in stock in {self.ctx.warehouse}.", bell=False)

    def on_rows_shown(self) -> None:
        """Hook: the rows on screen changed (bench/bench_tui.py times the picker's first page by it)."""

    def _show_selected(self) -> None:
        t = self.table
        t.source = _Selected(self)
        t.reset(failed=lambda exc: self.status.say(describe(exc), error=True))

    @on(Input.Changed, "#scan")
    def _filter(self, event: Input.Changed) -> None:
        if self.only_selected:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.12, self.load)

    # --- selecting ----------------------------------------------------------------------------
    def _set_mark(self, code: str, on_: bool) -> None:
        self.table.redraw([code])

    def _toggle(self, code: str) -> None:
        if code in self._chosen:
            self._deselect(code)
            self._set_mark(code, False)
            self.status.say(f"Deselected {code}.", bell=False)
        else:
            self._select(code)
            self._set_mark(code, True)
            self.status.say(f"Selected {code}.", bell=False)
        self._update_count()

    def action_toggle(self) -> None:
        if self.focused is not self.table:
            return
        row = self.table.current()
        if row is not None:
            self._toggle(row.code)

    @on(PagedList.Selected, "#available")
    def _row_enter(self, event: PagedList.Selected) -> None:
        self._toggle(event.row.code)

    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        code = event.text.strip()
        if not code:
            self.status.say("An empty scan: scan the serial again.", error=True)
            return
        gs1 = gs1_serial(self, code)
        if gs1 is False:
            return
        if gs1 is not None:
            self._pick([gs1[0]], gtin=gs1[1])
            return
        self._pick([code])

    @on(ScanInput.Many, "#scan")
    def _pasted(self, event: ScanInput.Many) -> None:
        from store.serials import split_serials

        self._pick(split_serials(event.text))

    def _pick(self, codes: list[str], gtin: str | None = None) -> None:
        """Scanned serials: selected if available here, refused (bell, reason) if not."""
        for code in codes:
            if code in self._chosen:
                self.status.say(f"Serial {code} is selected already.", error=True)
                continue
            self._select(code)
            self._update_count()
            self.in_flight += 1

            def answered():
                self.in_flight -= 1
                if self.closing and not self.in_flight and not self.closed:
                    self.action_done()

            def failed(exc, code=code):
                if not isinstance(exc, Refusal):  # not a refusal: the pick stays, checked again at save
                    self._set_mark(code, True)
                    self.status.say(f"{code} selected but not checked yet ({describe(exc)}); the save checks it.",
                                    error=True)
                else:
                    self._deselect(code)
                    self._update_count()
                    self._set_mark(code, False)
                    if self.closing:  # refused after F10: the picker stays open, saying why
                        stay_open(self, describe(exc))
                    else:
                        self.status.say(describe(exc), error=True)
                answered()

            def done(_, code=code):
                self._set_mark(code, True)
                self.status.say(f"Selected {code}.", minor=True)
                answered()

            call_store(self, check_serial, self.ctx.kind, self.ctx.item, code, warehouse=self.ctx.warehouse,
                       document=self.ctx.document, line=self.ctx.line, elsewhere=self.ctx.elsewhere,
                       gtin=gtin, group="picker-scan", done=done, failed=failed)

    def action_oldest(self) -> None:
        need = self.ctx.quantity - len(self.selected)
        if need <= 0:
            self.status.say("The line has all its serials already.", error=True, bell=False)
            return

        def done(codes):
            for c in codes:
                self._select(c)
            self.table.redraw(codes)
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
        """F8: deselect every serial of the line, after a question (as the entry form's F8)."""
        if not self.selected:
            return

        def answered(yes):
            if yes:
                self.selected.clear()
                self._chosen.clear()
                self.table.redraw()
                if self.only_selected:
                    self._show_selected()
                self._update_count()
                self.status.say("Selection cleared.", bell=False)
            self.query_one("#scan", Input).focus()

        n = len(self.selected)
        self.app.push_screen(ConfirmScreen(f"Deselect {'the 1 serial' if n == 1 else f'all {n} serials'} of this line?"),
                             answered)

    def on_key(self, event) -> None:
        scan = self.query_one("#scan", ScanInput)
        if self.focused is scan and event.key in self.LIST_KEYS:
            # the list's long moves work while the field has the focus (the focus stays there)
            event.stop()
            event.prevent_default()
            action, arg = self.LIST_KEYS[event.key]
            getattr(self.table, f"action_{action}")(*(() if arg is None else (arg,)))
            return
        route_scan_key(self, event, scan, keep_space=True)

    def action_to_list(self) -> None:
        self.table.focus()

    def action_back(self) -> None:
        """Esc: from the list back to the field; in the field, a filter is cleared first (as in the
        agendas); then the picker closes."""
        if self.focused is self.table:
            self.query_one("#scan", Input).focus()
            self.app.release_keys()  # not closing: the keys after Esc are this picker's
            return
        scan = self.query_one("#scan", Input)
        if scan.value:
            scan.value = ""
            self.app.release_keys()
            return
        self.action_done()

    def action_done(self) -> None:
        close_when_checked(self, self.in_flight, self.selected)
