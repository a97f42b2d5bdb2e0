"""Small forms: a document line, a document header, an item, a code+name record, a list paste, generate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from store import catalog
from store.agendas import ItemRow, item_rows, warehouse_rows
from store.documents import check_quantity
from store.serials import generate_serials, split_serials

from .common import StatusLine, call_store, describe, Plain

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > VerticalScroll {{ width: 100%; max-width: 70; height: auto; max-height: 100%; border: round $primary;
                          background: $surface; padding: 0 1; }}
{name} Label {{ color: $text-muted; }}
{name} .keys {{ color: $text-muted; }}
"""


@dataclass
class LineResult:
    item: ItemRow
    quantity: Decimal
    price: Decimal | None


class LineDialog(ModalScreen[LineResult | None]):
    """Item (code, EAN scan, or a part of the name) and quantity for a document line."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="line.cancel"),
                Binding("f10", "accept", "OK", id="line.ok")]
    DEFAULT_CSS = FORM_CSS.format(name="LineDialog") + """
    LineDialog OptionList { height: auto; max-height: 6; }
    """

    def __init__(self, *, item: ItemRow | None = None, quantity: Decimal | None = None,
                 price: Decimal | None = None, title: str = "Line") -> None:
        super().__init__()
        self.item = item
        self.quantity = quantity
        self.price = price
        self.title_text = title
        self.matches: list[ItemRow] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            yield Label("Item: code, EAN or name")
            yield Input(self.item.code if self.item else "", compact=True, id="item")
            yield OptionList(id="matches")
            yield Plain(self._item_text(), id="item-name")
            yield Label("Quantity")
            yield Input("" if self.quantity is None else str(self.quantity), compact=True, id="qty")
            yield Label("Unit price (empty: the item's)")
            yield Input("" if self.price is None else str(self.price), compact=True, id="price")
            yield StatusLine("", id="status")
            yield Plain("Enter: next  F10: OK  Esc: cancel", classes="keys")

    def _item_text(self) -> str:
        if not self.item:
            return ""
        return f"{self.item.name} [{self.item.unit}]" + ("  serial-tracked" if self.item.tracked else "")

    def on_mount(self) -> None:
        self.query_one("#matches").display = False
        self.query_one("#item" if not self.item else "#qty", Input).focus()

    @on(Input.Submitted, "#item")
    def _find_item(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return

        def find():
            item = catalog.find_item(text)
            if item is not None:
                return [ItemRow(item.id, item.code, item.name, item.unit, item.ean, item.price, item.tracked)]
            return item_rows(text, limit=20)

        call_store(self, find, done=self._found, failed=lambda e: self.query_one(StatusLine).say(describe(e), error=True))

    def _found(self, rows: list[ItemRow]) -> None:
        status = self.query_one(StatusLine)
        matches = self.query_one("#matches", OptionList)
        if not rows:
            status.say(f"No item matches {self.query_one('#item', Input).value.strip()}.", error=True)
            return
        if len(rows) == 1:
            self._choose(rows[0])
            return
        self.matches = rows
        matches.clear_options()
        matches.add_options([Option(Text(f"{r.code}  {r.name}"), id=str(i)) for i, r in enumerate(rows)])
        matches.display = True
        matches.highlighted = 0
        matches.focus()
        status.say(f"{len(rows)} items match: pick one with Enter.", bell=False)

    @on(OptionList.OptionSelected, "#matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._choose(self.matches[int(event.option.id)])

    def _choose(self, item: ItemRow) -> None:
        self.item = item
        self.query_one("#item", Input).value = item.code
        self.query_one("#matches").display = False
        self.query_one("#item-name", Static).update(self._item_text())
        self.query_one(StatusLine).say("", bell=False)
        qty = self.query_one("#qty", Input)
        if not qty.value:
            qty.value = "1"
        qty.focus()

    @on(Input.Submitted, "#qty")
    def _qty_done(self, event: Input.Submitted) -> None:
        self.action_accept()

    @on(Input.Submitted, "#price")
    def _price_done(self, event: Input.Submitted) -> None:
        self.action_accept()

    def action_accept(self) -> None:
        status = self.query_one(StatusLine)
        if self.item is None or self.query_one("#item", Input).value.strip() != self.item.code:
            status.say("Choose the item first: type its code, scan its EAN, or part of its name, then Enter.",
                       error=True)
            self.query_one("#item", Input).focus()
            return
        try:
            qty = catalog.clean_decimal(self.query_one("#qty", Input).value, "quantity", places=3, minimum=None)
            check_quantity(self.item.code, self.item.tracked, qty)
        except Exception as exc:
            status.say(describe(exc) if "quantity" in describe(exc).lower() else "The quantity must be a number.",
                       error=True)
            self.query_one("#qty", Input).focus()
            return
        price_text = self.query_one("#price", Input).value.strip()
        try:
            price = catalog.clean_decimal(price_text, "price") if price_text else None
        except Exception as exc:
            status.say(describe(exc), error=True)
            return
        self.dismiss(LineResult(self.item, qty, price))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class HeaderResult:
    warehouse: str | None
    to_warehouse: str | None
    partner: str | None
    date: dt.date
    note: str
    generate_movement: bool | None


class HeaderDialog(ModalScreen[HeaderResult | None]):
    """Warehouse (and destination for a transfer), partner, date, note, and for invoices the
    'generate stock movement' setting."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="header.cancel"),
                Binding("f10", "accept", "OK", id="header.ok")]
    DEFAULT_CSS = FORM_CSS.format(name="HeaderDialog")

    def __init__(self, kind: str, current: HeaderResult, *, locked: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.current = current
        self.locked = locked

    def compose(self) -> ComposeResult:
        c = self.current
        with VerticalScroll():
            yield Plain("Document header", classes="screen-title")
            yield Label("Warehouse" if self.kind != "transfer" else "From warehouse")
            current = [(c.warehouse, c.warehouse)] if c.warehouse else []
            yield Select(current, value=c.warehouse if c.warehouse else Select.NULL, compact=True,
                         allow_blank=not c.warehouse, id="warehouse")
            if self.kind == "transfer":
                yield Label("To warehouse")
                yield Select([], compact=True, allow_blank=True, prompt="(choose)", id="to_warehouse")
            if self.kind != "transfer":
                yield Label("Partner code")
                yield Input(c.partner or "", compact=True, id="partner")
            yield Label("Date (YYYY-MM-DD)")
            yield Input(c.date.isoformat(), compact=True, id="date")
            yield Label("Note")
            yield Input(c.note, compact=True, id="note")
            if c.generate_movement is not None:
                yield Checkbox("Generate stock movement", c.generate_movement, compact=True, id="movement")
            yield StatusLine("", id="status")
            yield Plain("Tab: next field  F10: OK  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        call_store(self, warehouse_rows, limit=1000, done=self._warehouses)

    def _warehouses(self, rows) -> None:
        options = [(f"{r.code} {r.name}", r.code) for r in rows]
        wh = self.query_one("#warehouse", Select)
        wh.set_options(options)
        if self.current.warehouse:
            wh.value = self.current.warehouse
        if self.kind == "transfer":
            to = self.query_one("#to_warehouse", Select)
            to.set_options(options)
            if self.current.to_warehouse:
                to.value = self.current.to_warehouse
        wh.focus()

    def action_accept(self) -> None:
        status = self.query_one(StatusLine)
        try:
            date = dt.date.fromisoformat(self.query_one("#date", Input).value.strip())
        except ValueError:
            status.say("The date must be written YYYY-MM-DD, e.g. 2026-11-27.", error=True)
            self.query_one("#date", Input).focus()
            return

        def value(selector: str):
            found = self.query(selector)
            if not found:
                return None
            w = found.first()
            if isinstance(w, Select):
                return None if w.value is Select.NULL else str(w.value)
            if isinstance(w, Checkbox):
                return w.value
            return w.value.strip() or None

        self.dismiss(HeaderResult(value("#warehouse") or self.current.warehouse, value("#to_warehouse"),
                                  value("#partner"), date,
                                  value("#note") or "", value("#movement")))

    def action_cancel(self) -> None:
        self.dismiss(None)


class RecordForm(ModalScreen[dict | None]):
    """Fields of a simple record (an item, a warehouse, a partner), saved by ``save(values)`` in a worker."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel"),
                Binding("f10", "accept", "Save", id="form.save")]
    DEFAULT_CSS = FORM_CSS.format(name="RecordForm")

    def __init__(self, title: str, fields: list[tuple[str, str, object]], save) -> None:
        """fields: (key, label, initial value; a bool makes a checkbox)."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            for key, label, initial in self.fields:
                if isinstance(initial, bool):
                    yield Checkbox(label, initial, compact=True, id=f"f-{key}")
                else:
                    yield Label(label)
                    yield Input("" if initial is None else str(initial), compact=True, id=f"f-{key}")
            yield StatusLine("", id="status")
            yield Plain("Enter: next  F10: save  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        i = inputs.index(event.input)
        if i + 1 < len(inputs):
            inputs[i + 1].focus()
        else:
            self.action_accept()

    def action_accept(self) -> None:
        values = {}
        for key, _, initial in self.fields:
            w = self.query_one(f"#f-{key}")
            values[key] = w.value if isinstance(w, Checkbox) else w.value.strip()
        call_store(self, self.save, values, done=lambda _: self.dismiss(values),
                   failed=lambda exc: self.query_one(StatusLine).say(describe(exc), error=True))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasteDialog(ModalScreen[list[str] | None]):
    """Paste (or type) many serials at once: one per line, or separated by commas or semicolons."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="paste.cancel"),
                Binding("f10", "accept", "Add", id="paste.add")]
    DEFAULT_CSS = FORM_CSS.format(name="PasteDialog") + "PasteDialog TextArea { height: 8; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain("Paste serials", classes="screen-title")
            yield TextArea(id="text")
            yield Plain("F10: add them  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_accept(self) -> None:
        self.dismiss(split_serials(self.query_one(TextArea).text))

    def action_cancel(self) -> None:
        self.dismiss(None)


class GenerateDialog(ModalScreen[list[str] | None]):
    """A run of serials from a first one: its last group of digits counts up, padding kept."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="generate.cancel"),
                Binding("f10", "accept", "Generate", id="generate.ok")]
    DEFAULT_CSS = FORM_CSS.format(name="GenerateDialog")

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain("Generate serials", classes="screen-title")
            yield Label("First serial")
            yield Input(compact=True, id="first", placeholder="SN-0001")
            yield Label("How many")
            yield Input(str(max(self.count, 1)), compact=True, id="count")
            yield StatusLine("", id="status")
            yield Plain("Enter: next  F10: generate  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#first", Input).focus()

    @on(Input.Submitted, "#first")
    def _first_done(self, event) -> None:
        self.query_one("#count", Input).focus()

    @on(Input.Submitted, "#count")
    def _count_done(self, event) -> None:
        self.action_accept()

    def action_accept(self) -> None:
        try:
            count = int(self.query_one("#count", Input).value.strip())
            self.dismiss(generate_serials(self.query_one("#first", Input).value, count))
        except ValueError:
            self.query_one(StatusLine).say("How many must be a whole number.", error=True)
        except Exception as exc:
            self.query_one(StatusLine).say(describe(exc), error=True)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few choices with arrows and Enter (or its number)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]
    DEFAULT_CSS = FORM_CSS.format(name="ChoiceDialog") + "ChoiceDialog OptionList { height: auto; }"

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            yield OptionList(*[Option(f"{i}. {label}", id=value) for i, (label, value) in enumerate(self.choices, 1)],
                             id="choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            i = int(event.character) - 1
            if 0 <= i < len(self.choices):
                event.stop()
                self.dismiss(self.choices[i][1])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
