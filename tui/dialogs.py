"""Small forms: a document line, a document header, an item, a code+name record, a list paste, generate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from store import catalog
from store.agendas import ItemRow, item_rows, warehouse_rows
from store.documents import check_quantity
from store.errors import Refusal
from store.serials import generate_serials, split_serials

from .common import ConfirmScreen, call_store, describe, said_line
from .widgets import FitLabel, KeyedInput, Plain, StatusLine, TypedInput


# A line quantity above this asks "is that right?" before it is taken (a scan into the Quantity
# field, or a double-typed key, would otherwise make a line of thousands). Site setting:
# SERIALSTOCK_QUANTITY_CONFIRM (a whole number; 0 asks never), else the settings file's quantity_confirm.
def quantity_confirm_limit() -> int:
    from serialstock.settings import quantity_confirm_limit

    return quantity_confirm_limit()


class FormScreen(ModalScreen[ScreenResultType]):
    """A form over the screen underneath: its fields in a VerticalScroll, centred and framed, at most 70
    columns wide and as tall as they are (the whole screen at most); labels and the keys line muted.
    A form's own DEFAULT_CSS sets only what differs (a list's height, a progress bar)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > VerticalScroll { width: 100%; max-width: 70; height: auto; max-height: 100%; border: round $primary;
                                  background: $surface; padding: 0 1; }
    FormScreen Label { color: $text-muted; }
    FormScreen .keys { color: $text-muted; }
    """


@dataclass
class LineResult:
    item: ItemRow
    quantity: Decimal
    price: Decimal | None


class StateCheckbox(Checkbox):
    """A checkbox that says its state in words ("[x] ... yes" / "[ ] ... no"), not by colour alone;
    ``short``: the label used when the whole one and its state do not fit the width (a handheld)."""

    BUTTON_CELLS = 4  # "▐X▌ " before the label

    def __init__(self, label: str, value: bool = False, *, short: str | None = None, **kwargs) -> None:
        self.base_label = label
        self.short_label = short or label
        self._fits = True
        super().__init__(self._text(label, value), value, **kwargs)

    @staticmethod
    def _text(label: str, value: bool) -> str:
        return f"{label}: {'yes' if value else 'no'}"

    def _label_now(self) -> str:
        return self._text(self.base_label if self._fits else self.short_label, self.value)

    def watch_value(self) -> None:
        super().watch_value()
        self.label = self._label_now()

    def on_resize(self) -> None:
        # the room its container gives it (its own width follows its label)
        width = self.parent.scrollable_content_region.width if self.parent is not None else 0
        if width > 0:
            self._fits = len(self._text(self.base_label, True)) + self.BUTTON_CELLS <= width
            self.label = self._label_now()


class FormCheckbox(StateCheckbox):
    """A checkbox among a form's fields: Space ticks it, Enter is the form's Enter (next field, or
    save on the last), as in the text fields around it."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False, id="checkbox.toggle"),
                Binding("enter", "entered", "Next", show=False, id="checkbox.next")]

    @dataclass
    class Entered(Message):
        checkbox: "FormCheckbox"

    def action_entered(self) -> None:
        self.post_message(self.Entered(self))


class LineDialog(FormScreen[LineResult | None]):
    """Item (code, EAN scan, or a part of the name) and quantity for a document line."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="line.cancel"),
                Binding("f10", "accept", "OK", id="line.ok"),
                Binding("f4", "pick_item", "Items", id="line.items")]
    DEFAULT_CSS = "LineDialog OptionList { height: auto; max-height: 6; }"

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
            yield FitLabel("Item: code, EAN or name", "Item code or EAN", "Item")
            item = KeyedInput(self.item.code if self.item else "", compact=True, id="item")
            item.holds_keys = True  # what follows the item's scan is its quantity: it waits for that field
            item.scan_replaces = True  # a scan after typed text is the scan alone
            yield item
            yield OptionList(id="matches")
            yield Plain(self._item_text(), id="item-name")
            yield Label("Quantity")
            qty = TypedInput("" if self.quantity is None else str(self.quantity), compact=True, id="qty")
            qty.tab_advances = True
            qty.holds_keys = True  # Enter closes the form: serials scanned next belong to the serial entry
            yield qty
            yield FitLabel("Unit price (empty: the item's)", "Unit price")
            price = TypedInput("" if self.price is None else str(self.price), compact=True, id="price")
            price.holds_keys = True
            yield price
            yield StatusLine("", id="status")
            yield Plain("Enter: next  F4: items  F10: OK  Esc: cancel", classes="keys")

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
            self.app.release_keys()
            return

        def find():
            item = catalog.find_item(text)
            if item is not None:
                return [ItemRow(item.id, item.code, item.name, item.unit, item.ean, item.price, item.tracked)]
            return item_rows(text, limit=20)

        def failed(exc):
            self.app.release_keys()
            self.query_one(StatusLine).say(describe(exc), error=True)

        call_store(self, find, name="find_item", done=self._found, failed=failed)

    def _found(self, rows: list[ItemRow]) -> None:
        self.call_after_refresh(self.app.release_keys)  # the focus moves below; held keys follow it
        status = self.query_one(StatusLine)
        matches = self.query_one("#matches", OptionList)
        if not rows:
            status.say(f"No item matches {self.query_one('#item', Input).value.strip()}.", error=True)
            return
        if len(rows) == 1:
            self._choose(rows[0])
            return
        if len(rows) >= 20:  # more than a short list: the list of every match, by key
            from .code_picker import CodePicker

            field = self.query_one("#item", Input)
            self.app.push_screen(CodePicker("item", field.value.strip()),
                                 lambda code: code and self._find_item(Input.Submitted(field, code)))
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

    def action_pick_item(self) -> None:
        """F4: every item in a list; type part of the code or name in any case, Enter picks."""
        from .code_picker import CodePicker

        field = self.query_one("#item", Input)

        def picked(code):
            if code:
                field.value = code
                self._find_item(Input.Submitted(field, code))
            else:
                field.focus()

        self.app.push_screen(CodePicker("item", ""), picked)

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

    @on(TypedInput.BurstRefused)
    def _burst_refused(self, event: TypedInput.BurstRefused) -> None:
        self.app.release_keys()
        what = "quantity" if event.input.id == "qty" else "price"
        self.query_one(StatusLine).say(f"{event.text!r} came as a scan, not typed: not taken as the {what}. "
                                       f"Type the {what}.", error=True)

    @on(Input.Submitted, "#price")
    def _price_done(self, event: Input.Submitted) -> None:
        self.action_accept()

    def action_accept(self) -> None:
        if not self._accept():
            self.app.release_keys()  # the form stays: keys held for the next screen come back here

    def _accept(self) -> bool:
        """Close the form with the line (True), or say what is wrong and stay (False)."""
        status = self.query_one(StatusLine)
        if self.item is None or self.query_one("#item", Input).value.strip() != self.item.code:
            status.say("Choose the item first: type its code, scan its EAN, or part of its name, then Enter.",
                       error=True)
            self.query_one("#item", Input).focus()
            return False
        try:
            qty = catalog.clean_decimal(self.query_one("#qty", Input).value, "quantity", places=3, minimum=None)
            check_quantity(self.item.code, self.item.tracked, qty)
        except Exception as exc:
            about_quantity = isinstance(exc, Refusal) and exc.field == "quantity"
            status.say(describe(exc) if about_quantity else "The quantity must be a number.", error=True)
            self.query_one("#qty", Input).focus()
            return False
        price_text = self.query_one("#price", Input).value.strip()
        try:
            price = catalog.clean_decimal(price_text, "price") if price_text else None
        except Exception as exc:
            status.say(describe(exc), error=True)
            return False
        limit = quantity_confirm_limit()
        if limit and qty > limit and qty != self.quantity:
            def answered(yes):
                if yes:
                    self.dismiss(LineResult(self.item, qty, price))
                else:
                    self.query_one("#qty", Input).focus()

            self.app.push_screen(ConfirmScreen(f"A quantity of {qty:,} {self.item.unit} of {self.item.code}: "
                                               f"more than {limit:,}. Is that right?",
                                               "y: yes, keep it   n/Esc: change it"), answered)
            return True
        self.dismiss(LineResult(self.item, qty, price))
        return True

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


class HeaderDialog(FormScreen[HeaderResult | None]):
    """Warehouse (and destination for a transfer), partner, date, note, and for invoices the
    'generate stock movement' setting."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="header.cancel"),
                Binding("f10", "accept", "OK", id="header.ok"),
                Binding("f4", "pick", "List", id="header.list")]

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
                yield FitLabel("Partner (type part of its code or name, Enter)", "Partner: code or name", "Partner")
                yield KeyedInput(c.partner or "", compact=True, id="partner")
            yield FitLabel("Date (YYYY-MM-DD)", "Date YYYY-MM-DD", "Date")
            yield KeyedInput(c.date.isoformat(), compact=True, id="date").set_advances()
            yield Label("Note")
            # the last field of a receipt's header: Enter there accepts the form (F10)
            yield KeyedInput(c.note, compact=True, id="note").set_advances(c.generate_movement is not None)
            if c.generate_movement is not None:
                yield StateCheckbox("Generate stock movement", c.generate_movement, short="Moves", compact=True,
                                 id="movement")
            yield StatusLine("", id="status")
            yield Plain("Tab: next field  F4: list  F10: OK  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#warehouse", Select).focus()
        call_store(self, warehouse_rows, limit=1000, done=self._warehouses)

    @on(Input.Submitted, "#note")
    def _note_done(self, event: Input.Submitted) -> None:
        if not event.input.advances:
            self.action_accept()


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

    @on(Input.Submitted, "#partner")
    def _partner_done(self, event: Input.Submitted) -> None:
        """Enter in the partner field: a code typed whole is taken; anything else opens the list."""
        if not event.value.strip():
            self.focus_next()
            return
        self._pick_into(self.query_one("#partner", Input), "partner", pick_single=True)

    def action_pick(self) -> None:
        """F4: the list for the field with the focus (partner or warehouse)."""
        field = self.focused
        if isinstance(field, Input) and field.id == "partner":
            self._pick_into(field, "partner")
        elif isinstance(field, Select) and field.id in ("warehouse", "to_warehouse"):
            self._pick_into(field, "warehouse")

    def _pick_into(self, field, kind: str, *, pick_single: bool = False) -> None:
        from .code_picker import CodePicker

        text = field.value.strip() if pick_single else ""  # F4: the whole list, typing starts afresh

        def picked(code):
            if not code:
                field.focus()
                return
            field.value = code
            if isinstance(field, Select):
                field.focus()
                return
            # on to the field after this one; after the refresh, as the screen gives its focus back to the
            # field it had (this one) when the list closes
            chain = self.focus_chain
            after = chain[chain.index(field) + 1] if field in chain and chain.index(field) + 1 < len(chain) else field
            self.call_after_refresh(after.focus)

        self.app.push_screen(CodePicker(kind, text, pick_single=pick_single), picked)

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


class RecordForm(FormScreen[dict | None]):
    """Fields of a simple record (an item, a warehouse, a partner), saved by ``save(values)`` in a worker."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel"),
                Binding("f10", "accept", "Save", id="form.save"),
                Binding("f4", "pick", "List", id="form.pick")]

    SHORT = {"Track serial numbers": "SN"}  # a checkbox's label on a handheld (the Price List's column)
    HELP_EXTRA = [("Enter", "Next field; on the last one, save"), ("Space", "Tick or untick the checkbox")]

    def __init__(self, title: str, fields: list[tuple[str, str | tuple[str, ...], object]], save, *,
                 typed: set[str] = frozenset(), confirm=None, pickers: dict[str, str] | None = None,
                 keys_text: str = "Enter: next  F10: save  Esc: cancel") -> None:
        """fields: (key, label, initial value; a bool makes a checkbox); a label may be several texts,
        longest first, of which the form shows the first that fits (FitLabel). ``typed``: the keys of
        fields a person types (a quantity): a scanner's burst into one is refused (TypedInput).
        ``confirm(values)``: a question to ask before saving (a quantity over the confirmation limit), or
        None. ``pickers``: field key -> "partner" / "warehouse" / "item": F4 there opens that list, and
        Enter on a code not typed whole opens it filtered (a code typed whole, in any case, is taken)."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.save = save
        self.typed = set(typed)
        self.confirm = confirm
        self.pickers = dict(pickers or {})
        self.keys_text = keys_text

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "pick":
            return bool(self.pickers)  # F4 only where a field has a list
        return True

    @staticmethod
    def _label(label) -> str:
        return label[0] if isinstance(label, tuple) else label

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            for key, label, initial in self.fields:
                if isinstance(initial, bool):
                    yield FormCheckbox(label, initial, short=self.SHORT.get(label), compact=True, id=f"f-{key}")
                else:
                    yield FitLabel(*label) if isinstance(label, tuple) else Label(label)
                    # a value already there is selected as the field takes the focus: typing replaces it
                    # (`pcs`, `0`), as in the line form's quantity
                    kind = TypedInput if key in self.typed else KeyedInput
                    yield kind("" if initial is None else str(initial), compact=True, id=f"f-{key}",
                               select_on_focus=bool(initial)).set_advances(key != self.fields[-1][0])
            yield StatusLine("", id="status")
            yield Plain(self.keys_text, classes="keys")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        key = (event.input.id or "")[2:]
        if key in self.pickers and event.value.strip():
            self._pick_into(event.input, pick_single=True)  # a code typed whole is taken; else its list
            return
        self._after(event.input)

    def action_pick(self) -> None:
        """F4: the list of the field with the focus (partners, warehouses or items)."""
        field = self.focused
        if isinstance(field, Input) and (field.id or "")[2:] in self.pickers:
            self._pick_into(field, pick_single=False)

    def _pick_into(self, field: Input, *, pick_single: bool) -> None:
        from .code_picker import CodePicker

        def picked(code):
            if not code:
                field.focus()
                return
            field.value = code
            self.call_after_refresh(self._after, field)  # on, as Enter with a code typed whole

        text = field.value.strip() if pick_single else ""
        self.app.push_screen(CodePicker(self.pickers[field.id[2:]], text, pick_single=pick_single), picked)

    @on(FormCheckbox.Entered)
    def _checkbox_entered(self, event: FormCheckbox.Entered) -> None:
        self._after(event.checkbox)

    @on(TypedInput.BurstRefused)
    def _burst_refused(self, event: TypedInput.BurstRefused) -> None:
        label = next(self._label(label) for key, label, _ in self.fields if f"f-{key}" == event.input.id)
        self.query_one(StatusLine).say(f"{event.text!r} came as a scan: {label} is typed, not scanned.", error=True)

    def _after(self, field) -> None:
        """Enter in a field: the next field (a checkbox too, so that it is seen), or save on the last."""
        fields = [self.query_one(f"#f-{key}") for key, _, _ in self.fields]
        i = fields.index(field)
        if i + 1 < len(fields):
            fields[i + 1].focus()
        else:
            self.action_accept()

    def action_accept(self) -> None:
        values = {}
        for key, _, initial in self.fields:
            w = self.query_one(f"#f-{key}")
            values[key] = w.value if isinstance(w, Checkbox) else w.value.strip()

        def save():
            call_store(self, self.save, values, name=f"save {self.title_text}", done=lambda _: self.dismiss(values),
                       failed=lambda exc: self.query_one(StatusLine).say(describe(exc), error=True))

        question = self.confirm(values) if self.confirm is not None else None
        if question is None:
            save()
            return
        self.app.push_screen(ConfirmScreen(question, "y: yes, keep it   n/Esc: change it"),
                             lambda yes: save() if yes else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasteDialog(FormScreen[list[str] | None]):
    """Paste (or type) many serials at once: one per line, or separated by commas or semicolons."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="paste.cancel"),
                Binding("f10", "accept", "Add", id="paste.add")]
    DEFAULT_CSS = "PasteDialog TextArea { height: 8; }"

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


class GenerateDialog(FormScreen[list[str] | None]):
    """A run of serials from a first one: its last group of digits counts up, padding kept."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="generate.cancel"),
                Binding("f10", "accept", "Generate", id="generate.ok")]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain("Generate serials", classes="screen-title")
            yield Label("First serial")
            first = KeyedInput(compact=True, id="first", placeholder="SN-0001")
            first.advances = True
            yield first
            yield Label("How many")
            yield TypedInput(str(max(self.count, 1)), compact=True, id="count")
            yield StatusLine("", id="status")
            yield Plain("Enter: next  F10: generate  Esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#first", Input).focus()

    @on(Input.Submitted, "#first")
    def _first_done(self, event) -> None:
        self.query_one("#count", Input).focus()

    @on(TypedInput.BurstRefused)
    def _burst_refused(self, event: TypedInput.BurstRefused) -> None:
        self.query_one(StatusLine).say(f"{event.text!r} came as a scan: How many is typed, not scanned.",
                                       error=True)

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


class ChoiceDialog(FormScreen[str | None]):
    """Pick one of a few choices with arrows and Enter (or its number)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]
    DEFAULT_CSS = "ChoiceDialog OptionList { height: auto; }"

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            yield OptionList(*[Option(f"{i}. {label}", id=value) for i, (label, value) in enumerate(self.choices, 1)],
                             id="choices")
            yield said_line()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event) -> None:
        """A digit chooses, once no other key follows it at a scanner's pace: a scanned code holding a
        digit chooses nothing (the app rings and names it)."""
        from .keys import KeyGuard

        guard = self.__dict__.setdefault("_guard", KeyGuard())
        action = None
        if event.character and event.character.isdigit() and 0 < int(event.character) <= len(self.choices):
            value = self.choices[int(event.character) - 1][1]
            action = lambda: self.dismiss(value)  # noqa: E731
        guard.key(self, event, action)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
