"""Request and response bodies, and the conversions from the store's rows and views.

Decimals (quantities, prices) travel as strings ("2", "199.90"): exact, whatever the client's
number type. Input numbers may be JSON numbers or strings; the store decides what is valid, so the
answer to a bad one is the sentence the terminal app shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from store.models import LedgerState


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
def _shown(value) -> str:
    import json

    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:40] + "..."


def _strict_number(value):
    """A quantity or price: a JSON number or a numeric string; true/false, lists, objects are refused (a
    boolean is not a quantity). The store says whether the number itself is valid."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a number (2 or 2.5) or a numeric string (\"2.5\"), not {_shown(value)}")
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return value


def _iso_date(value):
    """A date: the ISO text YYYY-MM-DD only (a number is not taken as seconds since 1970)."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"must be a date as text YYYY-MM-DD (e.g. \"2026-03-02\"), not {_shown(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a date of the calendar") from None


def _strict_bool(value):
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {_shown(value)}")
    return value


_DATE = __import__("re").compile(r"\d{4}-\d{2}-\d{2}")
Number = Annotated[int | float | Text, BeforeValidator(_strict_number),
                   Field(description="a number, as a JSON number or a string such as \"2.5\"")]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Bool = Annotated[bool, BeforeValidator(_strict_bool)]


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
    what = {401: "No valid bearer token", 403: "The token's role may not do this, or it is limited to another warehouse",
            404: "Unknown record", 409: "Conflict with the current state", 422: "Invalid input",
            503: "Database busy or unavailable"}
    if 401 in codes and 403 not in codes:  # every endpoint behind a token may be refused by its role or warehouse
        codes = tuple(sorted((*codes, 403)))
    return {c: {"model": ErrorBody, "description": what[c]} for c in codes}


# --- items, warehouses, partners ----------------------------------------------------------------

class ItemIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "PHONE-Y", "name": "Phone Y", "unit": "pcs", "price": "249.00", "tracked": True}]})

    code: Text
    name: Text
    unit: Text | None = "pcs"
    ean: Text | None = None
    price: Number | None = "0"
    tracked: Bool = False


class ItemPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Phone X (2026)", "price": "189.90"}]})

    code: Text | None = Field(None, description="a new code")
    name: Text | None = None
    unit: Text | None = None
    ean: Text | None = Field(None, description="null removes the EAN")
    price: Number | None = None
    tracked: Bool | None = Field(None, description="switch serial-number tracking on or off")


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
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "SHOP", "name": "Shop floor"}]})

    code: Text
    name: Text


class WarehousePatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Main warehouse", "default": True}]})

    code: Text | None = Field(None, description="a new code")
    name: Text | None = None
    default: Bool | None = Field(None, description="true: documents that name no warehouse use this one")


class WarehouseOut(BaseModel):
    code: str
    name: str
    default: bool


class WarehousePage(BaseModel):
    data: list[WarehouseOut]
    next: str | None


class PartnerIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "SUPPLIER-7", "name": "Supplier Seven Ltd."}]})

    code: Text
    name: Text


class PartnerPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Acme Ltd., new address"}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{"item": "PHONE-X", "quantity": 2, "serials": ["SN-0098", "SN-0099"]}]})

    item: Text = Field(description="item code or EAN")
    quantity: Number
    price: Number | None = Field(None, description="null: the item's price")
    serials: list[Text] = Field(default_factory=list, description="one per unit of a tracked item")
    lots: dict[Text, Text] = Field(
        default_factory=dict, description="optional: the lot (batch) number of serials that have one, by serial "
        "(what a GS1 code's AI 10 carries, at most 20 characters), e.g. {\"SN-0098\": \"L2026-07\"}; each key "
        "must be one of this line's serials (else 422)")
    expiry_dates: dict[Text, IsoDate] = Field(
        default_factory=dict, description="optional: the expiry date (YYYY-MM-DD) of serials that have one, by "
        "serial (a GS1 code's AI 17), e.g. {\"SN-0098\": \"2027-05-31\"}; each key one of this line's serials")


class DocumentBody(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"partner": "ACME", "note": "delivery 4711", "lines": [{"item": "PHONE-X", "quantity": 3, "serials": ["SN-0098", "SN-0099", "SN-0100"]}]}]})

    warehouse: Text | None = Field(None, description="warehouse code; null: the default warehouse")
    partner: Text | None = Field(None, description="partner code")
    date: IsoDate | None = Field(None, description="null: today; else YYYY-MM-DD")
    note: Text | None = None
    lines: list[LineBody] = Field(default_factory=list)


class TransferBody(DocumentBody):
    to_warehouse: Text | None = Field(None, description="the warehouse the goods go to (required)")


class InvoiceBody(DocumentBody):
    generate_movement: Bool | None = Field(
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
    lots: dict[str, str] = Field(default_factory=dict, description="the lot of each serial that has one")
    expiry_dates: dict[str, dt.date] = Field(default_factory=dict,
                                             description="the expiry date of each serial that has one")


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
                       quantity=dec(l.quantity), price=money(l.price), serials=list(l.serials),
                       lots=dict(l.lots), expiry_dates=dict(l.expiries))
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
    received_at: Utc | None = Field(description="when it last came into a warehouse (saved, UTC; transfers too)")
    received_by: str | None = Field(description="the document that last received it")
    issued_by: str | None = Field(description="the document that issued it (serials not in stock)")
    issued_on: dt.date | None = Field(
        description="the date of the goods issue after its latest goods receipt (the document's date)")
    received_on: dt.date | None = Field(
        description="the date of its latest goods receipt (the document's date; a transfer does not count)")
    received_from: str | None = Field(description="the partner of that goods receipt: the supplier, or a customer "
                                                  "returning it")
    issued_to: str | None = Field(description="the partner of that goods issue: the customer")


class MovementOut(BaseModel):
    at: Utc = Field(description="when it was saved (UTC)")
    date: dt.date | None = Field(description="the document's date: the business date the movement took place")
    partner: str | None = Field(description="the document's partner (null once the document is deleted)")
    invoice: str | None = Field(description="for a goods receipt / issue generated by an invoice: that invoice")
    document: str
    kind: str
    line: int
    direction: int = Field(description="+1 into the warehouse, -1 out of it")
    warehouse: str
    operator: str
    state: str = Field(description="effective, reversed (undone by an edit or deletion) or reversal")
    lot: str | None = Field(None, description="the lot (GS1 AI 10) kept with the serial on that document line")
    expiry: dt.date | None = Field(None, description="the expiry date (GS1 AI 17) kept likewise")


class SerialDetailOut(SerialOut):
    history: list[MovementOut]


class SerialPage(BaseModel):
    data: list[SerialOut]
    next: str | None


class SerialMatches(BaseModel):
    data: list[SerialDetailOut] = Field(description="one entry per item that has this serial")


class LookupItemOut(BaseModel):
    code: str
    name: str
    unit: str
    ean: str | None
    tracked: bool
    serials_in_stock: int
    stock: list["StockOut"] = Field(description="quantity on hand per warehouse")


class LookupOut(BaseModel):
    """What a scan is: the serials it names (with history) and the item it names, as the app's lookup."""

    scan: str = Field(description="the serial or item code the scan came to (a GS1 scan's serial, else the text)")
    serials: list[SerialDetailOut]
    items: list[LookupItemOut]


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




def serial_out(r) -> SerialOut:
    return SerialOut(code=r.code, item=r.item, item_name=r.item_name, status=r.status, warehouse=r.warehouse,
                     received_at=r.received_at, received_by=r.received_by, issued_by=r.issued_by,
                     issued_on=r.issued_on, received_on=r.received_on, received_from=r.received_from,
                     issued_to=r.issued_to)


def serial_detail_out(r) -> SerialDetailOut:
    return SerialDetailOut(
        **serial_out(r).model_dump(),
        history=[MovementOut(at=m.at, date=m.date, partner=m.partner, invoice=m.invoice, document=m.document,
                             kind=m.kind, line=m.line, direction=m.direction,
                             warehouse=m.warehouse, operator=m.operator, state=LedgerState(m.state).label,
                             lot=m.lot, expiry=m.expiry)
                 for m in (r.history or [])])


def lookup_out(result) -> LookupOut:
    return LookupOut(scan=result.text, serials=[serial_detail_out(r) for r in result.serials],
                     items=[LookupItemOut(code=i.code, name=i.name, unit=i.unit, ean=i.ean, tracked=i.tracked,
                                          serials_in_stock=i.serials_in_stock, stock=[stock_out(r) for r in i.stock])
                            for i in result.items])


def stock_out(r) -> StockOut:
    return StockOut(item=r.item, item_name=r.item_name, unit=r.unit, tracked=r.tracked, warehouse=r.warehouse,
                    quantity=dec(r.quantity))
