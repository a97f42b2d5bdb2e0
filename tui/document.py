"""Editing a document: header, lines, serials, save.

The document is edited in memory (a store DocumentIn) and saved in one go by the store, which
refuses a tracked line whose serial count differs from its quantity, and every other broken rule,
naming the line; the refusal is shown and nothing typed is lost.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from store import catalog
from store.agendas import ItemRow
from store.documents import (
    KINDS,
    DocumentIn,
    DocumentView,
    LineIn,
    check_serial,
    create_stock_document_from_invoice,
    get_document,
    keep_marks_of_serials,
    save_document,
)
from store.drafts import HEARTBEAT_SECONDS, delete_draft, save_draft, touch_draft
from store.errors import DocumentRefused

from .common import ConfirmScreen, call_store, describe, fit_columns, fmt_money, fmt_qty, plain, store_connection
from .dialogs import HeaderDialog, HeaderResult, LineDialog
from .serial_entry import SerialContext, count_text, serial_form
from .widgets import KeyFooter, Plain, ScanInput, StatusLine, route_scan_key


def scan_adds_one() -> bool:
    """Site setting ($SERIALSTOCK_GS1_SCAN_ADDS_ONE, default yes): a GS1 scan of an item whose lines
    are full raises the last line's quantity by one instead of being refused."""
    import os

    return os.environ.get("SERIALSTOCK_GS1_SCAN_ADDS_ONE", "1").strip().lower() not in ("0", "no", "false", "off")


def _item_row(item) -> ItemRow:
    return ItemRow(item.id, item.code, item.name, item.unit, item.ean, item.price, item.tracked)


class DocumentScreen(Screen):
    HELP_EXTRA = [("Scan/type + Enter", "An item's EAN or code: the line form; a GS1 code: its serial on a line"),
                  ("Down", "To the lines; Enter on a line edits it")]
    # No plain letters: the scan field has the focus, and a scanned code must never run an action.
    BINDINGS = [
        Binding("ctrl+s,f10", "save", "Save", id="doc.save"),
        Binding("f4,insert", "add_line", "Add line", id="doc.add"),
        Binding("f6", "serials", "Serials", id="doc.serials"),
        Binding("f3", "item_detail", "Item", id="doc.item"),
        Binding("f7", "header", "Header", id="doc.header"),
        Binding("f8", "remove_line", "Remove line", id="doc.remove"),
        Binding("ctrl+t", "toggle_movement", "Movement on/off", id="doc.movement"),
        Binding("ctrl+g", "linked", "Linked doc", id="doc.linked"),
        Binding("ctrl+r", "create_stock_doc", "Make receipt/issue", id="doc.make"),
        Binding("f5", "reload", "Reload", id="doc.reload"),
        Binding("down", "to_lines", "Lines", show=False, id="doc.lines"),
        Binding("escape", "back", "Back", id="doc.back"),
    ]
    TITLE = "Document"

    def __init__(self, *, kind: str | None = None, number: str | None = None, draft=None) -> None:
        super().__init__()
        self.number = number
        self.kind = kind
        self.doc: DocumentIn | None = None
        self.view: DocumentView | None = None
        self.items: dict[str, ItemRow] = {}
        self.dirty = False
        self.saving = False
        # The draft: every change is written to the database as the operator works (store.drafts).
        self.draft = draft  # a DraftInfo to resume, or None
        self.draft_id: int | None = draft.id if draft else None
        self._draft_lock = threading.Lock()
        self._draft_pending: tuple | None = None
        self._draft_writing = False
        self.taken: dict[int, dict[str, str]] = {}  # line index -> serial -> why it was taken off

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Plain("", classes="screen-title", id="title")
        yield Plain("", id="header")
        scan = ScanInput(placeholder="Scan item or type its code", compact=True, id="scan")
        scan.holds_keys = True  # a scan opens the line form: what is typed next belongs there
        yield scan
        table = DataTable(cursor_type="row", zebra_stripes=True, id="lines")
        # what a handheld must see first: the item and its serial count; wider screens get the rest
        table.add_column("Item", key="item")
        table.add_column("SN", key="sn")
        table.add_column("Qty", key="qty")
        table.add_column("Price", key="price")
        table.add_column("Name", key="name")
        yield table
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def table(self) -> DataTable:
        return self.query_one("#lines", DataTable)

    def on_mount(self) -> None:
        self.query_one("#scan").focus()
        # while this screen is open its draft is held: another session of the operator does not offer it
        self.set_interval(HEARTBEAT_SECONDS, self._heartbeat)
        if self.draft is not None:
            self._heartbeat()  # a resumed draft is ours from now on
            call_store(self, self._draft_items, done=self._resumed)
        elif self.number:
            self._load(self.number)
        else:
            call_store(self, self._new_defaults, done=self._show_new)

    # --- drafts -------------------------------------------------------------------------------
    def _draft_items(self):
        view = get_document(self.number) if self.number else None
        items = {}
        for line in self.draft.document.lines:
            item = catalog.find_item(line.item)
            if item is not None:
                items[line.item] = _item_row(item)
        return view, items

    def _resumed(self, result) -> None:
        self.view, items = result
        self.items.update(items)
        self.doc = self.draft.document
        self.dirty = True
        self._redraw()
        self.status.say(f"Resumed the draft ({self.draft.summary}). ctrl+s saves it.", bell=False)

    def keep_draft(self) -> None:
        """Write the document as it is now to its draft, off the event loop; the newest state wins."""
        if self.doc is None:
            return
        snapshot = (copy.deepcopy(self.doc), self.number, self.view.version if self.view else
                    (self.draft.version if self.draft else None))
        with self._draft_lock:
            self._draft_pending = snapshot
            if self._draft_writing:
                return
            self._draft_writing = True
        self._write_drafts()

    @work(thread=True, group="draft")
    def _write_drafts(self) -> None:
        with store_connection(self.app):
            while True:
                with self._draft_lock:
                    snapshot, self._draft_pending = self._draft_pending, None
                    if snapshot is None:
                        self._draft_writing = False
                        return
                doc, number, version = snapshot
                try:
                    self.draft_id = save_draft(self.app.operator, doc, draft_id=self.draft_id, number=number,
                                               version=version)
                except Exception as exc:  # the document itself is still on screen
                    self.app.call_from_thread(self._draft_not_kept, exc)

    def _draft_not_kept(self, exc: Exception) -> None:
        """Said here and on the screen in front (the serial form covers the document while scanning)."""
        text = f"The draft could not be kept: {describe(exc)}"
        self.status.say(text, error=True)
        front = self.app.screen
        if front is not self:
            lines = front.query(StatusLine)
            if lines:
                lines.first().say(text, error=True)
            else:
                self.app.bell()
                self.app.notify(text, severity="error", timeout=10)

    def _heartbeat(self) -> None:
        if self.draft_id is not None:  # a failure here is said by the next draft write, if it fails too
            call_store(self, touch_draft, self.draft_id, group="draft-heartbeat", exclusive=True,
                       failed=lambda exc: None)

    def drop_draft(self) -> None:
        draft_id, self.draft_id = self.draft_id, None
        if draft_id is not None:
            call_store(self, delete_draft, draft_id, group="draft-drop")

    def _new_defaults(self):
        wh = catalog.default_warehouse()
        movement = catalog.generate_movement_default(self.kind) if KINDS[self.kind].generates else None
        return wh.code if wh else None, movement

    def _show_new(self, defaults) -> None:
        wh, movement = defaults
        self.doc = DocumentIn(self.kind, [], warehouse=wh, date=dt.date.today(), generate_movement=movement)
        self._redraw()
        self.status.say("Scan an item (or type its code, Enter), or F4 to add a line.", bell=False)

    def _load(self, number: str) -> None:
        def fetch():
            view = get_document(number)
            items = {}
            for line in view.lines:
                if line.item not in items:
                    items[line.item] = _item_row(catalog.get_item(line.item))
            return view, items

        call_store(self, fetch, done=self._loaded, failed=lambda e: self.status.say(describe(e), error=True))

    def _loaded(self, result) -> None:
        self.view, items = result
        self.items.update(items)
        self.number, self.kind = self.view.number, self.view.kind
        self.doc = self.view.to_input()
        self.dirty = False
        self._redraw()

    # --- showing ------------------------------------------------------------------------------
    def _redraw(self, *, cursor: int | None = None) -> None:
        doc = self.doc
        kind = KINDS[doc.kind]
        title = f"{self.number} {kind.title.lower()}" if self.number else f"New {kind.title.lower()}"
        if self.read_only:
            title += " (read-only)"
        self.query_one("#title", Static).update(("* " if self.dirty else "") + title)
        parts = [doc.warehouse or "?"]
        if doc.kind == "transfer":
            parts[0] = f"{doc.warehouse or '?'} -> {doc.to_warehouse or '?'}"
        if doc.partner:
            parts.append(doc.partner)
        parts.append(doc.date.isoformat() if doc.date else "")
        if doc.generate_movement is not None:
            linked = self.view.generated if self.view else None
            parts.append(f"stock movement {'on' if doc.generate_movement else 'off'}" + (f" {linked}" if linked else ""))
        if self.view and self.view.source:
            parts.append(f"from {self.view.source}")
        if doc.note:
            parts.append(doc.note)
        self.query_one("#header", Static).update(" | ".join(parts))
        t = self.table
        cursor_row = t.cursor_row if cursor is None else cursor
        t.clear()
        cells = []
        for pos, line in enumerate(doc.lines, start=1):
            item = self.items.get(line.item)
            row = [line.item, self._sn_text(line, item), fmt_qty(Decimal(line.quantity)),
                   fmt_money(line.price if line.price is not None else (item.price if item else 0)),
                   item.name if item else ""]
            cells.append(row)
            t.add_row(*plain(*row), key=str(pos))
        fit_columns(t, cells)
        if doc.lines:
            t.move_cursor(row=min(max(cursor_row, 0), len(doc.lines) - 1), animate=False)

    def _sn_text(self, line: LineIn, item: ItemRow | None) -> str:
        if not item or not item.tracked:
            return "-"
        q = Decimal(line.quantity)
        n = len(line.serials)
        if q != int(q):
            return f"{n}/{fmt_qty(q)} !"
        return f"{n}/{int(q)}" + ("" if n == q else " !")

    @property
    def read_only(self) -> bool:
        """A goods receipt/issue generated by an invoice changes only through its invoice; a document the
        operator's role may not save is only shown (tui.rights)."""
        return bool(self.view and self.view.source) or not self.may_change

    @property
    def right_needed(self) -> str:
        """The store action saving this document needs (store.rights)."""
        from .rights import document_action

        return document_action(self.doc.kind if self.doc is not None else self.kind, bool(self.number))

    @property
    def may_change(self) -> bool:
        from .rights import may

        return may(self, self.right_needed)

    def check_action(self, action: str, parameters) -> bool | None:
        from .rights import DOCUMENT_CHANGES, may

        if action in DOCUMENT_CHANGES and not self.may_change:
            return False  # the role may not: hidden, and not listed by F1
        if action == "create_stock_doc" and not may(self, "invoice"):
            return False
        invoice = self.doc is not None and KINDS[self.doc.kind].generates
        if action in ("toggle_movement", "create_stock_doc") and not invoice:
            return False
        if action == "linked" and not (self.view and (self.view.generated or self.view.source)):
            return False
        if action in ("save", "add_line", "remove_line", "header", "toggle_movement") and self.read_only:
            return None  # shown dimmed: it cannot be done here
        return True

    def on_screen_resume(self) -> None:
        if self.doc is not None:
            self._redraw()  # serials entered on a form that was left by F9 are in the line already
        self.refresh_bindings()

    def on_key(self, event) -> None:
        route_scan_key(self, event, self.query_one("#scan", ScanInput))

    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        """An item scanned (EAN) or typed (code): its line form opens at the quantity."""
        text = event.text.strip()
        if not text or self.doc is None or self._refuse_read_only():
            self.app.release_keys()
            return

        kind, warehouse, number = self.doc.kind, self.doc.warehouse, self.number
        lines = [(line.item, list(line.serials)) for line in self.doc.lines]

        def find():
            from store.gs1 import parse_scan, serial_of

            gs1 = parse_scan(text)
            if gs1 is not None:
                item = catalog.item_for_gs1(gs1)
                if gs1.serial:  # item and serial in one scan: checked as the serial entry would
                    elsewhere = {s: j + 1 for j, (code, serials) in enumerate(lines) if code == item.code
                                 for s in serials}
                    serial = check_serial(kind, item.code, gs1.serial, warehouse=warehouse, document=number,
                                          elsewhere=elsewhere, gtin=gs1.gtin)
                    return _item_row(item), serial, gs1
                if item.tracked:  # the product's code, not the unit's: refused, no line added
                    serial_of(gs1, item=item.code)
                return _item_row(item), None, gs1  # an untracked item: one unit
            item = catalog.find_item(text)
            return (_item_row(item), None, None) if item else None

        def found(result):
            if result is None:
                self.app.release_keys()
                self.status.say(catalog.wrong_check_digit(text)
                                or f"No item has the code or EAN {text}; F4 finds one by name.", error=True)
                return
            item, serial, gs1 = result
            if serial is not None:
                self.app.release_keys()
                self._add_scanned_serial(item, serial, gs1.lot, gs1.expiry)
                return
            if gs1 is not None:
                self.app.release_keys()
                self._add_scanned_unit(item)
                return
            self.app.push_screen(LineDialog(item=item, title=f"Line {len(self.doc.lines) + 1}"), self._line_added)

        def failed(exc):
            self.app.release_keys()
            self.status.say(describe(exc), error=True)

        call_store(self, find, done=found, failed=failed)

    def _add_scanned_unit(self, item: ItemRow) -> None:
        """A GS1 code without a serial of an untracked item: one unit more on the last line of that item,
        or a new line of 1."""
        self.items[item.code] = item
        mine = [i for i, line in enumerate(self.doc.lines) if line.item == item.code]
        if mine:
            index = mine[-1]
            self.doc.lines[index].quantity = Decimal(self.doc.lines[index].quantity) + 1
        else:
            self.doc.lines.append(LineIn(item.code, Decimal(1), None, []))
            index = len(self.doc.lines) - 1
        self._changed(cursor=index)
        line = self.doc.lines[index]
        self.status.say(f"Line {index + 1} {item.code} x {fmt_qty(Decimal(line.quantity))}", bell=False)

    def _add_scanned_serial(self, item: ItemRow, serial: str, lot: str | None = None,
                            expiry=None) -> None:
        """A GS1 scan gave the item and the serial (and maybe its lot and expiry date, kept with it): onto
        the first line of that item with room; when every such line is full, its quantity goes up by one
        if the site wants that (scan_adds_one), else the scan is refused; with no line of that item, a
        new line of 1."""
        self.items[item.code] = item
        for line in self.doc.lines:
            if line.item == item.code and serial in line.serials:
                self.status.say(f"Serial {serial} is on this document already.", error=True)
                return
        mine = [i for i, line in enumerate(self.doc.lines) if line.item == item.code]
        room = [i for i in mine if len(self.doc.lines[i].serials) < Decimal(self.doc.lines[i].quantity)]
        if room:
            index = room[0]
        elif mine and scan_adds_one():
            index = mine[-1]
            self.doc.lines[index].quantity = Decimal(self.doc.lines[index].quantity) + 1
        elif mine:
            line = self.doc.lines[mine[-1]]
            self.status.say(f"Line {mine[-1] + 1} {item.code} has its {fmt_qty(Decimal(line.quantity))} serials: "
                            f"raise its quantity (Enter on the line) to add {serial}.", error=True)
            return
        else:
            self.doc.lines.append(LineIn(item.code, Decimal(1), None, []))
            index = len(self.doc.lines) - 1
        line = self.doc.lines[index]
        line.serials.append(serial)
        if lot:
            line.lots[serial] = lot
        if expiry:
            line.expiries[serial] = expiry
        self._changed(cursor=index)
        self._say_count(index)

    @on(ScanInput.Many, "#scan")
    def _pasted(self, event: ScanInput.Many) -> None:
        """A pasted list is not an item: said, with the bell (serials are pasted in a line's serial form)."""
        n = len([x for x in event.text.replace(",", "\n").replace(";", "\n").split() if x.strip()])
        self.status.say(f"A list of {n} codes was pasted here: paste serials on a line's serial form (F6, then "
                        "paste or F3), or scan one item at a time.", error=True)

    def action_to_lines(self) -> None:
        self.table.focus()

    def action_reload(self) -> None:
        if self.number and not self.dirty:
            self._load(self.number)
        elif self.dirty:
            self.status.say("Save or drop the changes first (Esc asks).", error=True, bell=False)

    def current_index(self) -> int | None:
        if not self.doc or not self.doc.lines:
            return None
        i = self.table.cursor_row
        return i if 0 <= i < len(self.doc.lines) else None

    def _changed(self, *, cursor: int | None = None) -> None:
        self.dirty = True
        self._redraw(cursor=cursor)
        self._refresh_count_said()
        self.keep_draft()

    # --- lines --------------------------------------------------------------------------------
    def action_add_line(self) -> None:
        if self.doc is None or self.read_only:
            return
        self.app.push_screen(LineDialog(title=f"Line {len(self.doc.lines) + 1}"), self._line_added)

    def _line_added(self, result) -> None:
        if result is None:
            return
        self.items[result.item.code] = result.item
        self.status.say(f"Line {len(self.doc.lines) + 1}: {result.item.code} x {fmt_qty(result.quantity)}", bell=False)
        self.doc.lines.append(LineIn(result.item.code, result.quantity, result.price, []))
        index = len(self.doc.lines) - 1
        self._changed(cursor=index)
        if result.item.tracked:
            self._open_serials(index)  # scan-first: straight to the serials of the new line

    @on(DataTable.RowSelected, "#lines")
    def _edit_line(self, event: DataTable.RowSelected) -> None:
        i = self.current_index()
        if i is None or self._refuse_read_only():
            return
        line = self.doc.lines[i]

        def edited(result) -> None:
            if result is None:
                return
            self.items[result.item.code] = result.item
            same = result.item.code == line.item  # the serials stay, with their lots and expiry dates
            price_same = (result.price is None) == (line.price is None) and (
                line.price is None or Decimal(str(result.price)) == Decimal(str(line.price)))
            if same and price_same and Decimal(str(result.quantity)) == Decimal(str(line.quantity)):
                return  # accepted unchanged: the document is not changed (no `*` in its title)
            self.doc.lines[i] = LineIn(result.item.code, result.quantity, result.price,
                                       line.serials if same else [], line.lots if same else {},
                                       line.expiries if same else {})
            self._changed(cursor=i)

        self.app.push_screen(LineDialog(item=self.items.get(line.item), quantity=line.quantity, price=line.price,
                                        title=f"Line {i + 1}"), edited)

    def action_remove_line(self) -> None:
        i = self.current_index()
        if i is None or self._refuse_read_only():
            return
        line = self.doc.lines[i]
        extra = f", {len(line.serials)} serials" if line.serials else ""

        def answered(yes):
            if yes:
                del self.doc.lines[i]
                self._changed(cursor=max(i - 1, 0))

        self.app.push_screen(ConfirmScreen(f"Remove line {i + 1} ({line.item} x {fmt_qty(Decimal(line.quantity))}{extra})?"),
                             answered)

    # --- serials: the same form from the line and from the item detail of the line ----------------
    def serial_context(self, index: int) -> SerialContext | None:
        line = self.doc.lines[index]
        item = self.items.get(line.item)
        if item is None or not item.tracked:
            self.status.say(f"{line.item} does not track serial numbers.", error=True, bell=False)
            return None
        q = Decimal(line.quantity)
        warehouse = self.doc.warehouse
        elsewhere = {s: j + 1 for j, other in enumerate(self.doc.lines) if j != index and other.item == line.item
                     for s in other.serials}
        return SerialContext(self.doc.kind, item.code, item.name, int(q), warehouse, self.number, index + 1,
                             elsewhere=elsewhere)

    def _refuse_read_only(self) -> bool:
        if not self.may_change:
            from .rights import refusal

            self.status.say(refusal(self, self.right_needed), error=True)
            return True
        if self.read_only:
            self.status.say(f"{self.number} changes only through its invoice {self.view.source} (ctrl+g).",
                            error=True)
        return self.read_only

    def _open_serials(self, index: int) -> None:
        if self._refuse_read_only():
            return
        ctx = self.serial_context(index)
        if ctx is None:
            return
        self.app.push_screen(serial_form(ctx, self.doc.lines[index].serials, live=self.live_serials(index),
                                         taken=self.taken.pop(index, None)),
                             lambda serials: self.set_serials(index, serials))

    def live_serials(self, index: int):
        """For the serial form: each serial scanned goes into the line and its draft at once. The form
        writes a GS1 scan's lot and expiry date into the line's own ``marks`` (lots, expiries)."""
        def live(serials: list[str]) -> None:
            if index < len(self.doc.lines) and not self.read_only:
                self.doc.lines[index].serials = list(serials)
                self.dirty = True
                self.keep_draft()
        if index < len(self.doc.lines):
            live.marks = (self.doc.lines[index].lots, self.doc.lines[index].expiries)
        return live

    def set_serials(self, index: int, serials: list[str] | None) -> None:
        """The serial form closed with these serials (it also kept the line up to date as it went)."""
        if serials is None or index >= len(self.doc.lines) or self._refuse_read_only():
            return
        line = self.doc.lines[index]
        line.serials = list(serials)
        if self.dirty:
            self._changed(cursor=index)
        else:
            self._redraw(cursor=index)
        self._say_count(index)

    _count_said: tuple[int, str] | None = None  # (line index, text): the status line shows that line's count

    def _say_count(self, index: int) -> None:
        line = self.doc.lines[index]
        n, q = len(line.serials), int(Decimal(line.quantity))
        text = f"Line {index + 1} {line.item}: {count_text(n, q)}"
        self.status.say(text, bell=False)
        self._count_said = (index, text)

    def _refresh_count_said(self) -> None:
        """The status line never shows a line's count that has changed since (it read `3/1 2 too many`
        beside a line of `3/3`): said again as it is now, or cleared when the line is gone."""
        if self._count_said is None:
            return
        index, text = self._count_said
        if str(self.status.content) != text:
            self._count_said = None  # another message took its place
            return
        if index < len(self.doc.lines) and self.serial_context_quiet(index):
            self._say_count(index)
        else:
            self._count_said = None
            self.status.say("", bell=False)

    def serial_context_quiet(self, index: int) -> bool:
        item = self.items.get(self.doc.lines[index].item)
        return bool(item and item.tracked)

    def action_serials(self) -> None:
        i = self.current_index()
        if i is not None:
            self._open_serials(i)

    def action_item_detail(self) -> None:
        from .item_detail import ItemDetailScreen

        i = self.current_index()
        if i is None:
            return
        self.app.push_screen(ItemDetailScreen(self.doc.lines[i].item, document=self, line_index=i))

    # --- header and invoice settings ----------------------------------------------------------
    def action_header(self) -> None:
        if self.doc is None or self._refuse_read_only():
            return
        d = self.doc
        current = HeaderResult(d.warehouse, d.to_warehouse, d.partner, d.date or dt.date.today(), d.note,
                               d.generate_movement)

        def done(result: HeaderResult | None) -> None:
            if result is None:
                return
            d.warehouse, d.to_warehouse, d.partner = result.warehouse, result.to_warehouse, result.partner
            d.date, d.note = result.date, result.note
            if result.generate_movement is not None:
                d.generate_movement = result.generate_movement
            self._changed()

        self.app.push_screen(HeaderDialog(d.kind, current), done)

    def action_toggle_movement(self) -> None:
        if self.doc is None or self.doc.generate_movement is None:
            self.status.say("Only invoices have the 'generate stock movement' setting.", error=True, bell=False)
            return
        self.doc.generate_movement = not self.doc.generate_movement
        self._changed()
        self.status.say(f"Stock movement {'on' if self.doc.generate_movement else 'off'}: applies when saved.",
                        bell=False)

    def action_linked(self) -> None:
        linked = self.view and (self.view.generated or self.view.source)
        if not linked:
            self.status.say("This document has no linked document.", error=True, bell=False)
            return
        for screen in reversed(self.app.screen_stack[:-1]):
            if isinstance(screen, DocumentScreen) and screen.number == linked:
                if self.dirty:
                    self.status.say("Save (ctrl+s) or drop (Esc) the changes before going back to "
                                    f"{linked}.", error=True)
                    return
                while self.app.screen is not screen:  # it is open already: go back to it
                    self.app.pop_screen()
                return
        self.app.push_screen(DocumentScreen(number=linked))

    def action_create_stock_doc(self) -> None:
        if not self.view or not KINDS[self.view.kind].generates:
            self.status.say("Only a saved invoice can create its goods receipt / issue.", error=True, bell=False)
            return
        if self.dirty:
            self.status.say("Save the invoice first (ctrl+s).", error=True)
            return
        if self.view.generated:
            self.status.say(f"{self.view.number} has {self.view.generated} already.", error=True, bell=False)
            return
        call_store(self, create_stock_document_from_invoice, self.view.number, operator=self.app.operator,
                   done=lambda made: (self._load(self.view.number), self.status.say(f"Created {made.number}.", bell=False)),
                   failed=lambda e: self.status.say(describe(e), error=True))

    # --- save and leave -----------------------------------------------------------------------
    def action_save(self) -> None:
        if self.doc is None or self.saving:
            return
        self.saving = True
        self.status.say("Saving...", bell=False)
        for line in self.doc.lines:  # a lot or expiry date goes with its serial: none of a serial taken off
            keep_marks_of_serials(line)
        self._saving_copy = copy.deepcopy(self.doc)  # what is saved; edits made meanwhile stay on screen
        call_store(self, save_document, self._saving_copy, operator=self.app.operator, number=self.number,
                   expected_version=self.view.version if self.view else None,
                   done=self._saved, failed=self._refused)

    def _saved(self, view: DocumentView) -> None:
        self.saving = False
        self.view = view
        self.number = view.number
        # saved, it may be read-only now (a floor user's, a generated one): the footer and F1 follow
        self.call_after_refresh(self.refresh_bindings)
        extra = f" with {view.generated}" if view.generated else ""
        if self.doc != self._saving_copy:
            # changed while the save was on its way: the changes stay, to be saved next
            self._changed()
            self.status.say(f"Saved {view.number}{extra}. Changes made while saving are not saved yet: "
                            "ctrl+s saves them.", bell=False)
            return
        self.doc = view.to_input()
        self.dirty = False
        self._redraw()
        self.status.say(f"Saved {view.number}{extra}.", bell=False)
        self.drop_draft()

    # refusals of a serial that another operator took meanwhile: unticked from the line, and said
    # again when the line's serial form opens
    TAKEN_CODES = ("serial_not_available", "serial_in_stock")

    def _refused(self, exc: Exception) -> None:
        self.saving = False
        text = describe(exc)
        if isinstance(exc, DocumentRefused):
            text = "Not saved: " + " ".join(p.message for p in exc.problems)
            if self._untick_taken(exc.problems):
                text += " Those serials are taken off their lines: pick or scan others (F6)."
        self.status.say(text, error=True)

    def _untick_taken(self, problems) -> bool:
        """Take the serials that the save found taken by someone else off their lines, so that the
        counts are short again and the serial forms do not show them as picked."""
        changed = False
        for p in problems:
            if p.code not in self.TAKEN_CODES or not p.serial or not p.line or p.line > len(self.doc.lines):
                continue
            line = self.doc.lines[p.line - 1]
            if p.serial in line.serials:
                line.serials.remove(p.serial)
                self.taken.setdefault(p.line - 1, {})[p.serial] = p.reason or p.message  # the form says which line
                changed = True
        if changed:
            self._changed()
        return changed

    def action_back(self) -> None:
        """Esc leaves the document from the scan field and from the lines alike (asking first when
        there are unsaved changes): one press, as screens.md says."""
        if not self.dirty:
            self.app.pop_screen()
            return

        def answered(yes):
            if yes:
                self.drop_draft()
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen("Drop the unsaved changes to this document?"), answered)
