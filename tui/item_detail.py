"""Item detail: its fields with the tracking flag, stock per warehouse, the serials in stock with the
document that received each. Opened from a document line it also reaches that line's serials (s)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from store import catalog
from store.agendas import ItemDetail, item_detail
from store.lookups import list_serials

from .common import ConfirmScreen, StatusLine, call_store, describe, fmt_day, fmt_money, fmt_qty, plain, Plain, KeyFooter


class ItemDetailScreen(Screen):
    TITLE = "Item detail"
    PAGE = 100
    BINDINGS = [
        Binding("f6", "line_serials", "Line serials", id="item.serials"),
        Binding("ctrl+t", "toggle_tracking", "Tracking on/off", id="item.tracking"),
        Binding("f7", "edit", "Edit", id="item.edit"),
        Binding("f5", "reload", "Refresh", id="item.refresh"),
        Binding("escape", "back", "Back", id="item.back"),
    ]

    def __init__(self, code: str, *, document=None, line_index: int | None = None) -> None:
        super().__init__()
        self.code = code
        self.document = document  # the DocumentScreen whose line this item is on, if any
        self.line_index = line_index
        self.detail: ItemDetail | None = None
        self.serial_rows = []
        self.more = False

    def compose(self) -> ComposeResult:
        yield Plain(self.code, classes="screen-title", id="title")
        yield Plain("", id="fields")
        stock = DataTable(cursor_type="row", id="stock")
        stock.add_columns("Warehouse", "Quantity")
        yield stock
        serials = DataTable(cursor_type="row", zebra_stripes=True, id="serials")
        serials.add_columns("Serial", "Wh", "Received by", "On")
        yield serials
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        self.query_one("#serials").focus()
        self.action_reload()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "line_serials":
            return self.document is not None
        return True

    def action_reload(self) -> None:
        call_store(self, item_detail, self.code, done=self._show, failed=lambda e: self.status.say(describe(e), error=True))
        self.serial_rows = []
        self._load_serials()

    def _show(self, d: ItemDetail) -> None:
        self.detail = d
        i = d.item
        self.query_one("#title", Static).update(f"{i.code}  {i.name}")
        tracking = "ON" if i.tracked else "off"
        self.query_one("#fields", Static).update(
            f"Unit {i.unit}  Price {fmt_money(i.price)}  EAN {i.ean or '-'}\n"
            f"Serial tracking: {tracking}" + (f"  ({d.serials_in_stock} in stock)" if i.tracked else ""))
        t = self.query_one("#stock", DataTable)
        t.clear()
        for r in d.stock:
            t.add_row(*plain(r.warehouse, f"{fmt_qty(r.quantity)} {r.unit}"))
        if not d.stock:
            t.add_row(*plain("(none)", "0"))

    def _load_serials(self) -> None:
        after = (self.serial_rows[-1].code, self.serial_rows[-1].id) if self.serial_rows else None
        call_store(self, list_serials, item=self.code, after=after, limit=self.PAGE, group="item-serials",
                   exclusive=True, done=self._add_serials)

    def _add_serials(self, rows) -> None:
        t = self.query_one("#serials", DataTable)
        if not self.serial_rows:
            t.clear()
        self.serial_rows += rows
        self.more = len(rows) >= self.PAGE
        for r in rows:
            t.add_row(*plain(r.code, r.warehouse or "", r.received_by or "",
                      fmt_day(r.received_on)))

    @on(DataTable.RowHighlighted, "#serials")
    def _near_end(self, event) -> None:
        if self.more and event.cursor_row >= len(self.serial_rows) - 5:
            self.more = False
            self._load_serials()

    def action_line_serials(self) -> None:
        if self.document is None or self.line_index is None:
            return
        from .serial_entry import serial_form

        ctx = self.document.serial_context(self.line_index)
        if ctx is None:
            return
        line = self.document.doc.lines[self.line_index]
        self.app.push_screen(serial_form(ctx, line.serials, live=self.document.live_serials(self.line_index)),
                             lambda serials: self.document.set_serials(self.line_index, serials))

    def action_toggle_tracking(self) -> None:
        if self.detail is None:
            return
        on_ = not self.detail.item.tracked

        def answered(yes):
            if yes:
                call_store(self, catalog.set_tracking, self.code, on_,
                           done=lambda _: (self.status.say(f"Serial tracking {'on' if on_ else 'off'}.", bell=False),
                                           self.action_reload()),
                           failed=lambda e: self.status.say(describe(e), error=True))

        self.app.push_screen(ConfirmScreen(f"Switch serial tracking {'ON' if on_ else 'OFF'} for {self.code}?"), answered)

    def action_edit(self) -> None:
        if self.detail is None:
            return
        from .dialogs import RecordForm

        i = self.detail.item

        def save(v):
            return catalog.update_item(i.code, name=v["name"], unit=v["unit"], ean=v["ean"] or None, price=v["price"] or 0)

        self.app.push_screen(RecordForm(f"Item {i.code}", [("name", "Name", i.name), ("unit", "Unit", i.unit),
                                                          ("ean", "EAN", i.ean or ""), ("price", "Price", fmt_money(i.price))],
                                        save), lambda v: v and self.action_reload())

    def action_back(self) -> None:
        self.app.pop_screen()
