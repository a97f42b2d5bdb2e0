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
    KINDS, DocumentIn, DocumentView, LineIn, create_stock_document_from_invoice, get_document, save_document,
)
from store.drafts import delete_draft, save_draft
from store.errors import DocumentRefused

from .common import (ConfirmScreen, KeyFooter, Plain, StatusLine, call_store, describe, fit_columns, fmt_money, fmt_qty,
                     plain, store_connection)
from .dialogs import HeaderDialog, HeaderResult, LineDialog
from .serial_entry import ScanInput, SerialContext, count_text, route_scan_key, serial_form


def _item_row(item) -> ItemRow:
    return ItemRow(item.id, item.code, item.name, item.unit, item.ean, item.price, item.tracked)


class DocumentScreen(Screen):
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

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Plain("", classes="screen-title", id="title")
        yield Plain("", id="header")
        yield ScanInput(placeholder="Scan item or type its code", compact=True, id="scan")
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
        if self.draft is not None:
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
                    self.app.call_from_thread(self.status.say, f"The draft could not be kept: {describe(exc)}",
                                              error=True)

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
        """A goods receipt/issue generated by an invoice changes only through its invoice."""
        return bool(self.view and self.view.source)

    def check_action(self, action: str, parameters) -> bool | None:
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
        if not text or self.doc is None:
            return
        if self._refuse_read_only():
            return

        def find():
            item = catalog.find_item(text)
            return _item_row(item) if item else None

        def found(item):
            if item is None:
                self.status.say(f"No item has the code or EAN {text}; F4 finds one by name.", error=True)
                return
            self.app.push_screen(LineDialog(item=item, title=f"Line {len(self.doc.lines) + 1}"), self._line_added)

        call_store(self, find, done=found, failed=lambda e: self.status.say(describe(e), error=True))

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
            serials = line.serials if result.item.code == line.item else []
            self.doc.lines[i] = LineIn(result.item.code, result.quantity, result.price, serials)
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
        return SerialContext(self.doc.kind, item.code, item.name, int(q), warehouse, self.number, index + 1)

    def _refuse_read_only(self) -> bool:
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
        self.app.push_screen(serial_form(ctx, self.doc.lines[index].serials, live=self.live_serials(index)),
                             lambda serials: self.set_serials(index, serials))

    def live_serials(self, index: int):
        """For the serial form: each serial scanned goes into the line and its draft at once."""
        def live(serials: list[str]) -> None:
            if index < len(self.doc.lines):
                self.doc.lines[index].serials = list(serials)
                self.dirty = True
                self.keep_draft()
        return live

    def set_serials(self, index: int, serials: list[str] | None) -> None:
        """The serial form closed with these serials (it also kept the line up to date as it went)."""
        if serials is None or index >= len(self.doc.lines):
            return
        line = self.doc.lines[index]
        line.serials = list(serials)
        if self.dirty:
            self._changed(cursor=index)
        else:
            self._redraw(cursor=index)
        n, q = len(line.serials), int(Decimal(line.quantity))
        self.status.say(f"Line {index + 1} {line.item}: {count_text(n, q)}")

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
        call_store(self, save_document, self.doc, operator=self.app.operator, number=self.number,
                   expected_version=self.view.version if self.view else None,
                   done=self._saved, failed=self._refused)

    def _saved(self, view: DocumentView) -> None:
        self.saving = False
        self.view = view
        self.number = view.number
        self.doc = view.to_input()
        self.dirty = False
        self._redraw()
        extra = f" with {view.generated}" if view.generated else ""
        self.status.say(f"Saved {view.number}{extra}.", bell=False)
        self.drop_draft()

    def _refused(self, exc: Exception) -> None:
        self.saving = False
        text = describe(exc)
        if isinstance(exc, DocumentRefused):
            text = "Not saved: " + "; ".join(p.message for p in exc.problems)
        self.status.say(text, error=True)

    def action_back(self) -> None:
        if self.focused is self.table:
            self.query_one("#scan").focus()
            return
        if not self.dirty:
            self.app.pop_screen()
            return

        def answered(yes):
            if yes:
                self.drop_draft()
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen("Drop the unsaved changes to this document?"), answered)
