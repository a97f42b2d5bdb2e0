"""Price list items, warehouses, partners and settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from peewee import fn

from .db import placeholders, write_transaction
from .errors import AlreadyExists, InUse, InvalidInput, NotFound, TrackingLocked
from .models import IN_STOCK, Document, Item, Line, Partner, Serial, Setting, Stock, Warehouse


def _one(model, where: str, *params):
    """The first row of ``model`` where the raw condition holds, or None. The lookups every document
    save makes go this way: Model.raw converts the row as a select does, with a fifth of its Python."""
    return next(iter(model.raw(placeholders(f"SELECT * FROM {model._meta.table_name} WHERE {where} LIMIT 1"),
                               *params)), None)


def clean_text(value, field: str, *, max_length: int, required: bool = True) -> str | None:
    """Trimmed text for a field, refused when empty (if required), too long or with control characters."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise InvalidInput(f"{field.capitalize()} is required.", field=field)
        return None
    if len(text) > max_length:
        raise InvalidInput(f"{field.capitalize()} is {len(text)} characters long; at most {max_length} are allowed.", field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput(f"{field.capitalize()} contains a control character.", field=field)
    return text


def clean_decimal(value, field: str, *, places: int = 2, minimum: Decimal | None = Decimal(0)) -> Decimal:
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
    ean = clean_text(value, "EAN", max_length=14, required=False)
    if ean is None:
        return None
    if not ean.isdigit() or len(ean) < 8:
        raise InvalidInput(f"EAN {ean} must be 8 to 14 digits.", field="ean")
    return ean


# --- items -------------------------------------------------------------------------------

def get_item(code: str) -> Item:
    item = _one(Item, "code = ?", (code or "").strip())
    if item is None:
        raise NotFound(f"No item with code {code} in the price list.", item=code, field="item")
    return item


def find_item(text: str) -> Item | None:
    """An item by its code or by its EAN barcode (what a scanner reads)."""
    text = (text or "").strip()
    if not text:
        return None
    return _one(Item, "code = ?", text) or _one(Item, "ean = ?", text)


@write_transaction
def create_item(code, name, *, unit="pcs", ean=None, price=0, tracked=False) -> Item:
    code = clean_text(code, "code", max_length=64)
    name = clean_text(name, "name", max_length=200)
    unit = clean_text(unit or "pcs", "unit", max_length=16)
    ean = _clean_ean(ean)
    price = clean_decimal(price, "price")
    if Item.select().where(Item.code == code).exists():
        raise AlreadyExists(f"An item with code {code} already exists.", item=code, field="code")
    if ean and Item.select().where(Item.ean == ean).exists():
        other = Item.get(Item.ean == ean).code
        raise AlreadyExists(f"EAN {ean} already belongs to item {other}.", item=code, field="ean")
    return Item.create(code=code, name=name, unit=unit, ean=ean, price=price, tracked=bool(tracked))


_UNSET = object()


@write_transaction
def update_item(code, *, new_code=None, name=None, unit=None, ean=_UNSET, price=None, tracked=None) -> Item:
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
    if ean is not _UNSET:
        ean = _clean_ean(ean)
        if ean and Item.select().where((Item.ean == ean) & (Item.id != item.id)).exists():
            other = Item.get(Item.ean == ean).code
            raise AlreadyExists(f"EAN {ean} already belongs to item {other}.", item=item.code, field="ean")
        item.ean = ean
    if price is not None:
        item.price = clean_decimal(price, "price")
    item.save()
    if tracked is not None and bool(tracked) != item.tracked:
        set_tracking(item.code, bool(tracked))
        item = Item.get_by_id(item.id)
    return item


@write_transaction
def set_tracking(code: str, on: bool) -> Item:
    """Switch serial-number tracking. On: only while the item has no stock anywhere.
    Off: only while none of its serials is in stock."""
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
    Item.update(tracked=bool(on)).where(Item.id == item.id).execute()
    return Item.get_by_id(item.id)


@write_transaction
def delete_item(code: str) -> None:
    item = get_item(code)
    if Line.select().where(Line.item == item).exists() or Serial.select().where(Serial.item == item).exists():
        raise InUse(f"Item {item.code} is used on documents; it cannot be deleted.", item=item.code)
    Stock.delete().where(Stock.item == item).execute()
    item.delete_instance()


def list_items(search: str | None = None, *, after: str | None = None, limit: int = 100) -> list[Item]:
    """Items in code order, a page at a time (``after``: the last code of the previous page)."""
    q = Item.select().order_by(Item.code).limit(limit)
    if search:
        s = search.strip()
        q = q.where(Item.code.startswith(s) | Item.name.contains(s) | (Item.ean == s))
    if after is not None:
        q = q.where(Item.code > after)
    return list(q)


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
    return _one(Warehouse, "is_default = ?", True) or Warehouse.select().order_by(Warehouse.id).first()


def get_warehouse(code: str | None) -> Warehouse:
    if code is None or not str(code).strip():
        wh = default_warehouse()
        if wh is None:
            raise NotFound("There is no warehouse; create one first.", field="warehouse")
        return wh
    wh = _one(Warehouse, "code = ?", str(code).strip())
    if wh is None:
        raise NotFound(f"No warehouse with code {code}.", field="warehouse")
    return wh


@write_transaction
def create_warehouse(code, name) -> Warehouse:
    code = clean_text(code, "code", max_length=32)
    name = clean_text(name, "name", max_length=200)
    _refuse_taken(Warehouse, "warehouse", code)
    return Warehouse.create(code=code, name=name, is_default=not Warehouse.select().exists())


@write_transaction
def update_warehouse(code, *, new_code=None, name=None, make_default: bool = False) -> Warehouse:
    """Rename a warehouse or change its code (documents and stock follow it: they refer to it, not to
    its code); ``make_default``: documents that name no warehouse use this one from now on."""
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
    wh = get_warehouse(code)
    used = (Document.select().where((Document.warehouse == wh) | (Document.to_warehouse == wh)).exists()
            or Serial.select().where(Serial.warehouse == wh).exists()
            or Stock.select().where((Stock.warehouse == wh) & (Stock.quantity != 0)).exists())
    if used:
        raise InUse(f"Warehouse {wh.code} has stock or documents; it cannot be deleted.", field="warehouse")
    Stock.delete().where(Stock.warehouse == wh).execute()
    wh.delete_instance()
    if not Warehouse.select().where(Warehouse.is_default == True).exists():  # noqa: E712
        first = Warehouse.select().order_by(Warehouse.id).first()
        if first:
            Warehouse.update(is_default=True).where(Warehouse.id == first.id).execute()


def list_warehouses() -> list[Warehouse]:
    return list(Warehouse.select().order_by(Warehouse.code))


def get_partner(code: str | None) -> Partner | None:
    if code is None or not str(code).strip():
        return None
    p = _one(Partner, "code = ?", str(code).strip())
    if p is None:
        raise NotFound(f"No partner with code {code}.", field="partner")
    return p


@write_transaction
def create_partner(code, name) -> Partner:
    code = clean_text(code, "code", max_length=32)
    name = clean_text(name, "name", max_length=200)
    _refuse_taken(Partner, "partner", code)
    return Partner.create(code=code, name=name)


@write_transaction
def delete_partner(code) -> None:
    p = get_partner(code)
    if p is None:
        raise NotFound("Which partner? None was given.", field="partner")
    if Document.select().where(Document.partner == p).exists():
        raise InUse(f"Partner {p.code} is used on documents; it cannot be deleted.", field="partner")
    p.delete_instance()


@write_transaction
def update_partner(code, *, new_code=None, name=None) -> Partner:
    """Rename a partner or change its code (documents refer to it, not to its code)."""
    p = get_partner(code)
    if p is None:
        raise NotFound("Which partner? None was given.", field="partner")
    _rename(p, "partner", new_code, name)
    return p


def list_partners(search: str | None = None, *, after: str | None = None, limit: int = 100) -> list[Partner]:
    q = Partner.select().order_by(Partner.code).limit(limit)
    if search:
        q = q.where(Partner.code.startswith(search.strip()) | Partner.name.contains(search.strip()))
    if after is not None:
        q = q.where(Partner.code > after)
    return list(q)


# --- settings ----------------------------------------------------------------------------

def _movement_key(kind: str) -> str:
    if kind not in ("purchase_invoice", "sales_invoice"):
        raise InvalidInput(f"Only invoices have a 'generate stock movement' setting, not {kind}.", field="kind")
    return f"generate_movement.{kind}"


def generate_movement_default(kind: str) -> bool:
    row = Setting.get_or_none(Setting.key == _movement_key(kind))
    return True if row is None else row.value == "1"


@write_transaction
def set_generate_movement_default(kind: str, on: bool) -> None:
    key = _movement_key(kind)
    Setting.insert(key=key, value="1" if on else "0").on_conflict(
        conflict_target=[Setting.key], update={Setting.value: "1" if on else "0"}).execute()
