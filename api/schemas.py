"""Request and response bodies, and the conversions from the store's rows and views.

Decimals (quantities, prices) travel as strings ("2", "199.90"): exact, whatever the client's
number type. Input numbers may be JSON numbers or strings; the store decides what is valid, so the
answer to a bad one is the sentence the terminal app shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (a lone surrogate)") from None
    return value


# Every string the API takes: the database could not store or compare the ones refused here.
Text = Annotated[str, AfterValidator(_text)]
def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


# Timestamps in answers: the store keeps naive UTC; RFC 3339 wants the zone said ("...Z").
Utc = Annotated[dt.datetime, AfterValidator(_utc)]
Number = Annotated[int | float | Text, Field(description="a number, as a JSON number or a string such as \"2.5\"")]


def dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def money(value) -> str:
    """A price with its two decimal places, however the store's object holds it."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors -------------------------------------------------------------------------------------

class Problem(BaseModel):
    code: str
    message: str
    about: dict[str, Any] = {}


class ErrorDetail(Problem):
    problems: list[Problem] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*codes: int) -> dict:
    what = {401: "No valid bearer token", 404: "Unknown record", 409: "Conflict with the current state",
            422: "Invalid input", 503: "Database busy or unavailable"}
    return {c: {"model": ErrorBody, "description": what[c]} for c in codes}


# --- items, warehouses, partners ----------------------------------------------------------------

class ItemIn(In):
    code: Text
    name: Text
    unit: Text | None = "pcs"
    ean: Text | None = None
    price: Number | None = "0"
    tracked: bool = False


class ItemPatch(In):
    code: Text | None = Field(None, description="a new code")
    name: Text | None = None
    unit: Text | None = None
    ean: Text | None = Field(None, description="null removes the EAN")
    price: Number | None = None
    tracked: bool | None = Field(None, description="switch serial-number tracking on or off")


class ItemOut(BaseModel):
    code: str
    name: str
    unit: str
    ean: str | None
    price: str
    tracked: bool


class ItemStock(BaseModel):
    warehouse: str
    quantity: str


class ItemDetailOut(ItemOut):
    stock: list[ItemStock]
    serials_in_stock: int


class ItemPage(BaseModel):
    data: list[ItemOut]
    next: str | None = Field(description="pass as ?after= for the next page; null on the last page")


class WarehouseIn(In):
    code: Text
    name: Text


class WarehousePatch(In):
    code: Text | None = Field(None, description="a new code")
    name: Text | None = None
    default: bool | None = Field(None, description="true: documents that name no warehouse use this one")


class WarehouseOut(BaseModel):
    code: str
    name: str
    default: bool


class WarehousePage(BaseModel):
    data: list[WarehouseOut]
    next: str | None


class PartnerIn(In):
    code: Text
    name: Text


class PartnerPatch(In):
    code: Text | None = Field(None, description="a new code")
    name: Text | None = None


class PartnerOut(BaseModel):
    code: str
    name: str


class PartnerPage(BaseModel):
    data: list[PartnerOut]
    next: str | None


def item_out(i) -> ItemOut:
    return ItemOut(code=i.code, name=i.name, unit=i.unit, ean=i.ean, price=money(i.price), tracked=i.tracked)


# --- documents ----------------------------------------------------------------------------------

class LineBody(In):
    item: Text = Field(description="item code or EAN")
    quantity: Number
    price: Number | None = Field(None, description="null: the item's price")
    serials: list[Text] = Field(default_factory=list, description="one per unit of a tracked item")


class DocumentBody(In):
    warehouse: Text | None = Field(None, description="warehouse code; null: the default warehouse")
    partner: Text | None = Field(None, description="partner code")
    date: dt.date | None = Field(None, description="null: today")
    note: Text | None = None
    lines: list[LineBody] = Field(default_factory=list)


class TransferBody(DocumentBody):
    to_warehouse: Text | None = Field(None, description="the warehouse the goods go to (required)")


class InvoiceBody(DocumentBody):
    generate_movement: bool | None = Field(
        None, description="also save the goods receipt / goods issue; null: the configured default")


class _Versioned(BaseModel):
    expected_version: int | None = Field(
        None, ge=1, le=2**31 - 1, description="refuse (409) if the document was changed since this version")


class DocumentUpdate(DocumentBody, _Versioned):
    pass


class TransferUpdate(TransferBody, _Versioned):
    pass


class InvoiceUpdate(InvoiceBody, _Versioned):
    pass


class LineOut(BaseModel):
    position: int
    item: str
    item_name: str
    unit: str
    tracked: bool
    quantity: str
    price: str
    serials: list[str]


class DocumentOut(BaseModel):
    number: str
    kind: str
    title: str
    date: dt.date
    warehouse: str
    to_warehouse: str | None
    partner: str | None
    note: str
    operator: str
    generate_movement: bool | None
    source: str | None = Field(description="the invoice that generated this stock document")
    generated: str | None = Field(description="the stock document this invoice generated")
    version: int
    created_at: Utc
    updated_at: Utc
    lines: list[LineOut]


class DocumentRowOut(BaseModel):
    number: str
    kind: str
    date: dt.date
    warehouse: str
    to_warehouse: str | None
    partner: str | None
    note: str
    operator: str
    lines: int
    generate_movement: bool | None
    source: str | None


class DocumentPage(BaseModel):
    data: list[DocumentRowOut]
    next: str | None


def document_out(v) -> DocumentOut:
    return DocumentOut(
        number=v.number, kind=v.kind, title=v.title, date=v.date, warehouse=v.warehouse,
        to_warehouse=v.to_warehouse, partner=v.partner, note=v.note, operator=v.operator,
        generate_movement=v.generate_movement, source=v.source, generated=v.generated, version=v.version,
        created_at=v.created_at, updated_at=v.updated_at,
        lines=[LineOut(position=l.position, item=l.item, item_name=l.item_name, unit=l.unit, tracked=l.tracked,
                       quantity=dec(l.quantity), price=money(l.price), serials=list(l.serials))
               for l in v.lines])


def document_row_out(r) -> DocumentRowOut:
    return DocumentRowOut(number=r.number, kind=r.kind, date=r.date, warehouse=r.warehouse,
                          to_warehouse=r.to_warehouse, partner=r.partner, note=r.note, operator=r.operator,
                          lines=r.lines, generate_movement=r.generate_movement, source=r.source)


# --- serials and stock --------------------------------------------------------------------------

class SerialOut(BaseModel):
    code: str
    item: str
    item_name: str
    status: str = Field(description="in_stock, issued or removed (its only receipt was deleted)")
    warehouse: str | None = Field(description="in stock: where it is; issued: where it left from")
    received_at: Utc | None
    received_by: str | None = Field(description="the document that last received it")
    issued_by: str | None = Field(description="the document that issued it (serials not in stock)")
    issued_on: Utc | None


class MovementOut(BaseModel):
    at: Utc
    document: str
    kind: str
    line: int
    direction: int = Field(description="+1 into the warehouse, -1 out of it")
    warehouse: str
    operator: str
    state: str = Field(description="effective, reversed (undone by an edit or deletion) or reversal")


class SerialDetailOut(SerialOut):
    history: list[MovementOut]


class SerialPage(BaseModel):
    data: list[SerialOut]
    next: str | None


class SerialMatches(BaseModel):
    data: list[SerialDetailOut] = Field(description="one entry per item that has this serial")


class StockOut(BaseModel):
    item: str
    item_name: str
    unit: str
    tracked: bool
    warehouse: str
    quantity: str


class StockPage(BaseModel):
    data: list[StockOut]
    next: str | None


_STATES = {0: "effective", 1: "reversed", 2: "reversal"}


def serial_out(r) -> SerialOut:
    return SerialOut(code=r.code, item=r.item, item_name=r.item_name, status=r.status, warehouse=r.warehouse,
                     received_at=r.received_at, received_by=r.received_by, issued_by=r.issued_by,
                     issued_on=r.issued_on)


def serial_detail_out(r) -> SerialDetailOut:
    return SerialDetailOut(
        **serial_out(r).model_dump(),
        history=[MovementOut(at=m.at, document=m.document, kind=m.kind, line=m.line, direction=m.direction,
                             warehouse=m.warehouse, operator=m.operator, state=_STATES.get(m.state, str(m.state)))
                 for m in (r.history or [])])


def stock_out(r) -> StockOut:
    return StockOut(item=r.item, item_name=r.item_name, unit=r.unit, tracked=r.tracked, warehouse=r.warehouse,
                    quantity=dec(r.quantity))
