"""Price list items, warehouses, partners and settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from peewee import fn

from . import rights
from .db import placeholders, write_transaction
from .errors import AlreadyExists, InUse, InvalidInput, NotFound, TrackingLocked
from .models import IN_STOCK, Document, Item, Line, Partner, Serial, Setting, Stock, Warehouse
from .serials import clean_code_text, clean_search, nfc, refused_character


def _one(model, where: str, *params):
    """The first row of ``model`` where the raw condition holds, or None. The lookups every document
    save makes go this way: Model.raw converts the row as a select does, with a fifth of its Python."""
    return next(iter(model.raw(placeholders(f"SELECT * FROM {model._meta.table_name} WHERE {where} LIMIT 1"),
                               *params)), None)


def clean_text(value, field: str, *, max_length: int, required: bool = True) -> str | None:
    """Trimmed text for a field in NFC, refused (InvalidInput naming the field) when empty (if required), too
    long, or holding a character the text rule refuses (serials.refused_character)."""
    text = "" if value is None else str(value).strip()
    if len(text) > max_length * 4:  # far over: refused before looking at every character
        raise InvalidInput(f"{field.capitalize()} is {len(text)} characters long; at most {max_length} are allowed.",
                           field=field)
    if not text:
        if required:
            raise InvalidInput(f"{field.capitalize()} is required.", field=field)
        return None
    if len(text) > max_length:
        raise InvalidInput(f"{field.capitalize()} is {len(text)} characters long; at most {max_length} are allowed.", field=field)
    bad = refused_character(text)
    if bad:
        raise InvalidInput(f"{field.capitalize()} contains {bad}, which cannot be seen on screen; type it again "
                           "without it.", field=field)
    return nfc(text)


def clean_decimal(value, field: str, *, places: int = 2, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """``value`` (text with . or , as the decimal mark, a number or a Decimal) as a Decimal.

    Raises InvalidInput (``field``) when it is empty (None or blank), not a finite number, below
    ``minimum`` (None: no limit) or has more than ``places`` decimal places.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"{field.capitalize()} is empty; it must be a number.", field=field)
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field.capitalize()} must be a number, not {value!r}.", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"{field.capitalize()} must be a number, not {value!r}.", field=field)
    if minimum is not None and number < minimum:
        raise InvalidInput(f"{field.capitalize()} cannot be below {minimum}.", field=field)
    if number.as_tuple().exponent < -places:
        raise InvalidInput(f"{field.capitalize()} has more than {places} decimal places.", field=field)
    if abs(number) >= Decimal(10) ** 11:
        raise InvalidInput(f"{field.capitalize()} is too large.", field=field)
    return number


def _clean_ean(value) -> str | None:
    """An item's EAN/GTIN as typed (trimmed), or None when empty. The EAN field holds a GTIN-8, -12, -13
    or -14 (GS1 General Specifications 3.3.2) whose last digit is the GS1 mod-10 check digit (7.9.1).
    Raises InvalidInput naming the EAN: not 8, 12, 13 or 14 digits (9 to 11 digits are no GTIN), or a
    wrong check digit, saying what the last digit should be. Only a value being set is checked: an EAN
    saved before this rule (even an invalid one) stays as it is and is still found by a scan of it."""
    from .gs1 import GTIN_LENGTHS, check_digit

    ean = clean_text(value, "EAN", max_length=14, required=False)
    if ean is None:
        return None
    if not ean.isdigit() or len(ean) not in GTIN_LENGTHS:
        raise InvalidInput(reason=f"EAN {ean} must be a GTIN of 8, 12, 13 or 14 digits.", field="ean")
    expected = check_digit(ean[:-1])
    if ean[-1] != expected:
        raise InvalidInput(reason=f"EAN {ean} has a wrong check digit (it should end in {expected}); check the "
                                  "barcode.", field="ean")
    return ean


def wrong_check_digit(text: str) -> str | None:
    """For a scan or code that no item has: the sentence saying its GTIN check digit is wrong, when it
    is 8, 12, 13 or 14 digits whose last digit is not the GS1 check digit (7.9.1); else None. Reads no
    database."""
    from .gs1 import GTIN_LENGTHS, check_digit

    text = (text or "").strip()
    if not text.isdigit() or len(text) not in GTIN_LENGTHS or text[-1] == check_digit(text[:-1]):
        return None
    return (f"EAN {text} has a wrong check digit (it should end in {check_digit(text[:-1])}): scan it again, "
            "or check the label.")


def _ean_owner(ean: str, *, besides=None) -> Item | None:
    """The item (other than ``besides``) whose EAN is this GTIN in any of its lengths (compared in the
    14-digit form: 4006381333931 and 04006381333931 are one GTIN), or None."""
    from .gs1 import gtin_forms

    for form in gtin_forms(ean.zfill(14)):
        q = Item.select().where(Item.ean == form)
        if besides is not None:
            q = q.where(Item.id != besides.id)
        found = q.first()
        if found is not None:
            return found
    return None


# --- items -------------------------------------------------------------------------------

def get_item(code: str) -> Item:
    """The price-list item with this code (exact, after trimming). Raises NotFound naming the code."""
    item = _one(Item, "code = ?", clean_code_text(code))
    if item is None:
        raise NotFound(f"No item with code {code} in the price list.", item=code, field="item")
    return item


def find_item(text: str) -> Item | None:
    """An item by its code or by its EAN barcode (what a scanner reads); a GTIN is found in any of its
    lengths (an EAN-13 item by its 14-digit form and the other way round). A code typed in another case
    (`cable`) finds its item when exactly one item has that code in any case. None when nothing does."""
    text = clean_code_text(text)
    if not text:
        return None
    found = _one(Item, "code = ?", text) or _one(Item, "ean = ?", text)
    if found is None and text.isdigit():
        from .gs1 import gtin14

        g = gtin14(text)
        if g is not None:
            found = find_item_by_gtin(g)
    if found is None:
        matches = list(Item.select().where(fn.LOWER(Item.code) == text.lower()).limit(2))
        if len(matches) == 1:
            found = matches[0]
    return found


def find_item_by_gtin(gtin_14: str) -> Item | None:
    """The item whose EAN field holds this GTIN (given in its 14-digit form) in any of its lengths."""
    from .gs1 import gtin_forms

    for form in gtin_forms(gtin_14):
        item = _one(Item, "ean = ?", form)
        if item is not None:
            return item
    return None


def item_for_gs1(scan) -> Item:
    """The item a GS1 scan's GTIN names; NotFound ("no item has GTIN ...") when none has it."""
    item = find_item_by_gtin(scan.gtin)
    if item is None:
        raise NotFound(reason=f"no item has the GTIN {scan.gtin}: give the item it is on this GTIN in its "
                              "EAN field (Price List), then scan again.", field="gtin")
    return item


@write_transaction
def create_item(code, name, *, unit="pcs", ean=None, price=0, tracked=False) -> Item:
    """A new price list item; returns it. ``ean``: its GTIN-8/12/13/14 or None (checked by _clean_ean:
    length and the GS1 check digit, GS1 General Specifications 7.9.1). Refuses (InvalidInput) an empty
    or too long code or name, a bad EAN or price; (AlreadyExists) a code that exists, an EAN another item
    has in any of its lengths (compared in the 14-digit form)."""
    rights.require("items")
    code = clean_text(code, "code", max_length=64)
    name = clean_text(name, "name", max_length=200)
    unit = clean_text(unit or "pcs", "unit", max_length=16)
    ean = _clean_ean(ean)
    price = clean_decimal(price, "price")
    if Item.select().where(Item.code == code).exists():
        raise AlreadyExists(f"An item with code {code} already exists.", item=code, field="code")
    other = _ean_owner(ean) if ean else None
    if other is not None:
        raise AlreadyExists(f"EAN {ean} already belongs to item {other.code}{_as(other, ean)}.", item=code,
                            field="ean")
    return Item.create(code=code, name=name, unit=unit, ean=ean, price=price, tracked=bool(tracked))


def _as(other: Item, ean: str) -> str:
    return "" if other.ean == ean else f" (as {other.ean})"


_UNSET = object()


@write_transaction
def update_item(code, *, new_code=None, name=None, unit=None, ean=_UNSET, price=None, tracked=None) -> Item:
    """Change the fields given of item ``code``; returns the item. ``ean=None`` removes the EAN. A new or
    changed EAN is checked as in create_item (InvalidInput, AlreadyExists); an EAN given unchanged is not
    checked again, so an item saved with an EAN from before the check digit rule keeps it. NotFound for
    an unknown code; tracking as set_tracking (TrackingLocked)."""
    rights.require("items")
    item = get_item(code)
    if new_code is not None:
        new_code = clean_text(new_code, "code", max_length=64)
        if new_code != item.code and Item.select().where(Item.code == new_code).exists():
            raise AlreadyExists(f"An item with code {new_code} already exists.", item=new_code, field="code")
        item.code = new_code
    if name is not None:
        item.name = clean_text(name, "name", max_length=200)
    if unit is not None:
        item.unit = clean_text(unit, "unit", max_length=16)
    if ean is not _UNSET and clean_text(ean, "EAN", max_length=14, required=False) != item.ean:
        ean = _clean_ean(ean)  # only a changed EAN is checked: one saved before the rule stays as it is
        other = _ean_owner(ean, besides=item) if ean else None
        if other is not None:
            raise AlreadyExists(f"EAN {ean} already belongs to item {other.code}{_as(other, ean)}.",
                                item=item.code, field="ean")
        item.ean = ean
    if price is not None:
        item.price = clean_decimal(price, "price")
    item.save()
    if tracked is not None and bool(tracked) != item.tracked:
        set_tracking(item.code, bool(tracked))
        item = Item.get_by_id(item.id)
    return item


def check_tracking_switch(code: str, on: bool) -> Item:
    """Whether serial-number tracking of the item ``code`` may be switched ``on`` (True) or off now;
    returns the item and changes nothing. On: only while the item has no stock anywhere. Off: only
    while none of its serials is in stock.

    Raises Forbidden unless the acting role may switch tracking, NotFound for an unknown code,
    TrackingLocked (naming the item and what to do) when the stock forbids the switch."""
    rights.require("tracking")
    item = get_item(code)
    if on and not item.tracked:
        held = Stock.select(fn.COALESCE(fn.SUM(Stock.quantity), 0)).where(
            (Stock.item == item) & (Stock.quantity != 0)).scalar()
        if held:
            raise TrackingLocked(
                f"Item {item.code} has stock without serial numbers; issue or move it out before "
                "switching serial tracking on.", item=item.code, field="tracked")
    if not on and item.tracked:
        in_stock = Serial.select().where((Serial.item == item) & (Serial.status == IN_STOCK)).count()
        if in_stock:
            raise TrackingLocked(
                f"Item {item.code} has {in_stock} serial number(s) in stock; issue them before "
                "switching serial tracking off.", item=item.code, field="tracked")
    return item


@write_transaction
def set_tracking(code: str, on: bool) -> Item:
    """Switch serial-number tracking of the item ``code`` on (True) or off; returns the item as saved.
    Raises what check_tracking_switch raises, checked in the same transaction as the switch."""
    item = check_tracking_switch(code, on)
    Item.update(tracked=bool(on)).where(Item.id == item.id).execute()
    return Item.get_by_id(item.id)


@write_transaction
def delete_item(code: str) -> None:
    """Delete the item with this code and its (empty) stock rows.

    Raises Forbidden unless the acting role may change items, NotFound for an unknown code, InUse
    when a document line or a serial refers to it.
    """
    rights.require("items")
    item = get_item(code)
    if Line.select().where(Line.item == item).exists() or Serial.select().where(Serial.item == item).exists():
        raise InUse(f"Item {item.code} is used on documents; it cannot be deleted.", item=item.code)
    Stock.delete().where(Stock.item == item).execute()
    item.delete_instance()


def list_items(search: str | None = None, *, after: str | None = None, limit: int = 100,
               descending: bool = False, count: bool = False) -> list[Item] | int:
    """Items in code order, a page at a time (``after``: the last code of the previous page; with
    ``descending`` the other way round, ``after`` being the first code of the page after). ``count``:
    how many items the search finds."""
    q = Item.select()
    search = clean_search(search)
    if search:
        s = search.strip()
        q = q.where(Item.code.startswith(s) | Item.name.contains(s) | (Item.ean == s))
    return _page_by_code(q, Item, after, limit, descending, count)


def _page_by_code(q, model, after, limit, descending, count):
    if count:
        return q.count()
    if after is not None:
        q = q.where(model.code < after if descending else model.code > after)
    return list(q.order_by(model.code.desc() if descending else model.code).limit(limit))


# --- warehouses and partners -------------------------------------------------------------

def _refuse_taken(model, what: str, code: str) -> None:
    """A warehouse's or partner's code is theirs alone."""
    if model.select().where(model.code == code).exists():
        raise AlreadyExists(f"A {what} with code {code} already exists.", field="code")


def _rename(row, what: str, new_code, name) -> None:
    """A new code and/or name for a warehouse or partner (documents refer to the row, not to its code)."""
    if new_code is not None:
        new_code = clean_text(new_code, "code", max_length=32)
        if new_code != row.code:
            _refuse_taken(type(row), what, new_code)
        row.code = new_code
    if name is not None:
        row.name = clean_text(name, "name", max_length=200)
    row.save()


def default_warehouse() -> Warehouse:
    """The default warehouse (the first one created, unless changed), or the oldest; None when there is none."""
    return _one(Warehouse, "is_default = ?", True) or Warehouse.select().order_by(Warehouse.id).first()


def get_warehouse(code: str | None) -> Warehouse:
    """The warehouse with this code; the default warehouse for None or blank.

    Raises NotFound for an unknown code, or when there is no warehouse at all.
    """
    if code is None or not str(code).strip():
        wh = default_warehouse()
        if wh is None:
            raise NotFound("There is no warehouse; create one first.", field="warehouse")
        return wh
    wh = _one(Warehouse, "code = ?", clean_code_text(code))
    if wh is None:
        raise NotFound(f"No warehouse with code {code}.", field="warehouse")
    return wh


@write_transaction
def create_warehouse(code, name) -> Warehouse:
    """A new warehouse (the first one becomes the default). ``code`` up to 32 characters, ``name`` up to 200.

    Raises Forbidden unless the acting role may change warehouses, InvalidInput for an empty or too
    long value, AlreadyExists for a code taken.
    """
    rights.require("warehouses")
    code = clean_text(code, "code", max_length=32)
    name = clean_text(name, "name", max_length=200)
    _refuse_taken(Warehouse, "warehouse", code)
    return Warehouse.create(code=code, name=name, is_default=not Warehouse.select().exists())


@write_transaction
def update_warehouse(code, *, new_code=None, name=None, make_default: bool = False) -> Warehouse:
    """Rename a warehouse or change its code (documents and stock follow it: they refer to it, not to
    its code); ``make_default``: documents that name no warehouse use this one from now on."""
    rights.require("warehouses")
    wh = get_warehouse(code) if code is not None and str(code).strip() else None
    if wh is None:
        raise NotFound("Which warehouse? None was given.", field="warehouse")
    _rename(wh, "warehouse", new_code, name)
    if make_default and not wh.is_default:
        Warehouse.update(is_default=False).where(Warehouse.id != wh.id).execute()
        Warehouse.update(is_default=True).where(Warehouse.id == wh.id).execute()
        wh = Warehouse.get_by_id(wh.id)
    return wh


@write_transaction
def delete_warehouse(code) -> None:
    """Delete the warehouse with this code.

    Raises Forbidden unless the acting role may change warehouses, NotFound for an unknown code,
    InUse when documents, serials, stock or an API token refer to it.
    """
    rights.require("warehouses")
    wh = get_warehouse(code)
    used = (Document.select().where((Document.warehouse == wh) | (Document.to_warehouse == wh)).exists()
            or Serial.select().where(Serial.warehouse == wh).exists()
            or Stock.select().where((Stock.warehouse == wh) & (Stock.quantity != 0)).exists())
    if used:
        raise InUse(f"Warehouse {wh.code} has stock or documents; it cannot be deleted.", field="warehouse")
    from .models import ApiToken

    if ApiToken.select().where(ApiToken.warehouse == wh.id).exists():
        raise InUse(f"Warehouse {wh.code} is the warehouse of an API token (`serialstock token list`); it cannot "
                    "be deleted.", field="warehouse")
    Stock.delete().where(Stock.warehouse == wh).execute()
    wh.delete_instance()
    if not Warehouse.select().where(Warehouse.is_default == True).exists():  # noqa: E712
        first = Warehouse.select().order_by(Warehouse.id).first()
        if first:
            Warehouse.update(is_default=True).where(Warehouse.id == first.id).execute()


def list_warehouses() -> list[Warehouse]:
    """Every warehouse, ordered by code."""
    return list(Warehouse.select().order_by(Warehouse.code))


def get_partner(code: str | None) -> Partner | None:
    """The partner with this code, or None for None or blank. A code typed in another case (`acme`)
    finds its partner when exactly one partner has that code in any case, as find_item does for items.
    Raises NotFound for an unknown code."""
    if code is None or not str(code).strip():
        return None
    text = clean_code_text(code)
    p = _one(Partner, "code = ?", text)
    if p is None:
        matches = list(Partner.select().where(fn.LOWER(Partner.code) == text.lower()).limit(2))
        p = matches[0] if len(matches) == 1 else None
    if p is None:
        raise NotFound(f"No partner with code {code}.", field="partner")
    return p


@write_transaction
def create_partner(code, name) -> Partner:
    """A new partner (supplier or customer). ``code`` up to 32 characters, ``name`` up to 200.

    Raises Forbidden unless the acting role may change partners, InvalidInput for an empty or too
    long value, AlreadyExists for a code taken.
    """
    rights.require("partners")
    code = clean_text(code, "code", max_length=32)
    name = clean_text(name, "name", max_length=200)
    _refuse_taken(Partner, "partner", code)
    return Partner.create(code=code, name=name)


@write_transaction
def delete_partner(code) -> None:
    """Delete the partner with this code.

    Raises Forbidden unless the acting role may change partners, NotFound for an unknown or missing
    code, InUse when a document names it.
    """
    rights.require("partners")
    p = get_partner(code)
    if p is None:
        raise NotFound("Which partner? None was given.", field="partner")
    if Document.select().where(Document.partner == p).exists():
        raise InUse(f"Partner {p.code} is used on documents; it cannot be deleted.", field="partner")
    p.delete_instance()


@write_transaction
def update_partner(code, *, new_code=None, name=None) -> Partner:
    """Rename a partner or change its code (documents refer to it, not to its code)."""
    rights.require("partners")
    p = get_partner(code)
    if p is None:
        raise NotFound("Which partner? None was given.", field="partner")
    _rename(p, "partner", new_code, name)
    return p


def list_partners(search: str | None = None, *, after: str | None = None, limit: int = 100,
                  descending: bool = False, count: bool = False) -> list[Partner] | int:
    """Partners in code order, paged as list_items."""
    q = Partner.select()
    search = clean_search(search)
    if search:
        q = q.where(Partner.code.startswith(search.strip()) | Partner.name.contains(search.strip()))
    return _page_by_code(q, Partner, after, limit, descending, count)


# --- settings ----------------------------------------------------------------------------

def _movement_key(kind: str) -> str:
    if kind not in ("purchase_invoice", "sales_invoice"):
        raise InvalidInput(f"Only invoices have a 'generate stock movement' setting, not {kind}.", field="kind")
    return f"generate_movement.{kind}"


def generate_movement_default(kind: str) -> bool:
    """Whether a new invoice of ``kind`` (purchase_invoice or sales_invoice) generates its goods receipt
    or issue on save by default (True until set otherwise).
    """
    row = Setting.get_or_none(Setting.key == _movement_key(kind))
    return True if row is None else row.value == "1"


@write_transaction
def set_generate_movement_default(kind: str, on: bool) -> None:
    """Set that default for ``kind``. Raises Forbidden unless the acting role may change settings."""
    rights.require("settings")
    key = _movement_key(kind)
    Setting.insert(key=key, value="1" if on else "0").on_conflict(
        conflict_target=[Setting.key], update={Setting.value: "1" if on else "0"}).execute()
