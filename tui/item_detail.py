"""Item detail: its fields with the tracking flag, stock per warehouse, the serials in stock with the
document that received each. Opened from a document line it also reaches that line's serials (s)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from store import catalog
from store.agendas import ItemDetail, item_detail
from store.lookups import count_serials, list_serials

from .common import ConfirmScreen, call_store, describe, fmt_day, fmt_money, fmt_qty, plain
from .paged_list import PagedList
from .widgets import KeyFooter, Plain, StatusLine


class _InStock:
    """The item's serials in stock, for the list: every one, a page at a time."""

    def __init__(self, code: str) -> None:
        self.code = code

    def fetch(self, after_row, limit, descending):
        return list_serials(item=self.code, after=(after_row.code, after_row.id) if after_row else None,
                            limit=limit, descending=descending)

    def count(self):
        return count_serials(item=self.code)

    def key(self, row):
        return str(row.id)

    def cells(self, row):
        return (row.code, row.warehouse or "", row.received_by or "", fmt_day(row.received_on))


class ItemDetailScreen(Screen):
    TITLE = "Item detail"
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

    def compose(self) -> ComposeResult:
        yield Plain(self.code, classes="screen-title", id="title")
        yield Plain("", id="fields")
        stock = DataTable(cursor_type="row", id="stock")
        stock.add_columns("Warehouse", "Quantity")
        yield stock
        yield PagedList([("Serial", None), ("Wh", None), ("Received by", None), ("On", None)],
                        source=_InStock(self.code), id="serials")
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        self.query_one("#serials").focus()
        self.action_reload()

    def check_action(self, action: str, parameters) -> bool | None:
        from .rights import allowed

        if not allowed(self, action):  # the operator's role may not (store.rights)
            return False
        if action == "line_serials":
            return self.document is not None
        return True

    def action_reload(self) -> None:
        call_store(self, item_detail, self.code, done=self._show, failed=lambda e: self.status.say(describe(e), error=True))
        serials = self.query_one("#serials", PagedList)
        if serials.loaded:
            serials.refresh_rows()
        else:
            serials.reset(failed=lambda e: self.status.say(describe(e), error=True))

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

    def action_line_serials(self) -> None:
        if self.document is None or self.line_index is None:
            return
        if self.document.read_only:  # a generated receipt/issue: its invoice is what changes
            view = self.document.view
            self.status.say(f"{view.number} changes only through its invoice {view.source}: open that invoice "
                            f"(Esc, then ctrl+g) to change its serials.", error=True)
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
        refused = lambda e: self.status.say(describe(e), error=True)  # noqa: E731

        def answered(yes):
            if yes:
                call_store(self, catalog.set_tracking, self.code, on_,
                           done=lambda _: (self.status.say(f"Serial tracking {'on' if on_ else 'off'}.", bell=False),
                                           self.action_reload()),
                           failed=refused)

        def ask(_):
            self.app.push_screen(ConfirmScreen(f"Switch serial tracking {'ON' if on_ else 'OFF'} for {self.code}?"),
                                 answered)

        # a switch the stock forbids is refused at once, not after a question
        call_store(self, catalog.check_tracking_switch, self.code, on_, done=ask, failed=refused)

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
