"""Documents and posting: goods receipts and issues, purchase and sales invoices, transfers.

Only goods receipts, goods issues and transfers move stock. An invoice with "generate stock
movement" on saves its linked goods receipt (purchase) or goods issue (sales) in the same
transaction; deleting the invoice deletes that document.

Saving is one path for create, edit and delete: the document's effect (which serial goes into or
out of which warehouse, and the quantity per item and warehouse) is computed before and after,
and only the difference is applied, in one transaction. A movement can only be undone while it is
the serial's latest one; otherwise the refusal names the later document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from . import catalog, rights
from .db import is_postgres, is_sqlite, run_sql, write_transaction
from .errors import (
    DocumentRefused,
    DuplicateSerial,
    GeneratedDocument,
    InsufficientStock,
    InvalidInput,
    InvalidSerial,
    MovedSince,
    NotFound,
    OutOfOrder,
    QuantityNotWhole,
    Refusal,
    SerialCountMismatch,
    SerialInStock,
    SerialNotAvailable,
    StaleDocument,
    TrackingChanged,
)
from .models import (
    EFFECTIVE,
    IN_STOCK,
    ISSUED,
    REMOVED,
    REVERSAL,
    REVERSED,
    Document,
    Item,
    Line,
    LineSerial,
    Warehouse,
    from_milli,
    to_milli,
    utcnow,
)
from .serials import check_serials_per_document, normalize_serial
from .sql import CHUNK, chunks, execute_many, in_list, insert_rows, marks, timestamp


@dataclass(frozen=True)
class Kind:
    """A document kind: its name (receipt, issue, transfer, purchase_invoice, sales_invoice, adjustment),
    number prefix (GR, GI, ...), title, whether its serials are received (typed or scanned) or picked
    from stock, whether it moves stock itself, and the kind it generates on save (invoices).
    """
    name: str
    prefix: str
    title: str
    receives: bool  # serials typed or scanned (True) or picked from stock (False)
    moves_stock: bool
    generates: str | None = None


KINDS: dict[str, Kind] = {
    "receipt": Kind("receipt", "GR", "Goods receipt", True, True),
    "issue": Kind("issue", "GI", "Goods issue", False, True),
    "transfer": Kind("transfer", "TR", "Transfer", False, True),
    "purchase_invoice": Kind("purchase_invoice", "PI", "Purchase invoice", True, False, "receipt"),
    "sales_invoice": Kind("sales_invoice", "SI", "Sales invoice", False, False, "issue"),
    # made only by posting a stock count (store.counts); read, listed and deleted like the others
    "adjustment": Kind("adjustment", "SA", "Stock adjustment", False, True),
}
MADE_BY_COUNTS = ("adjustment",)



# --- what callers pass in and get back --------------------------------------------------------

@dataclass
class LineIn:
    """A document line as a front end gives it: the item (code or EAN), the quantity (the number of
    serials for a tracked item), the unit price (None: the item's), the serial numbers, and by serial the
    lot and expiry date a GS1 scan carried.
    """
    item: str
    quantity: Decimal | int | str
    price: Decimal | int | str | None = None  # None: the item's price
    serials: list[str] = field(default_factory=list)
    # What a GS1 scan of a serial carried besides, by serial (each one of ``serials``): its lot (AI 10)
    # and expiry date (AI 17). Never required; a serial typed by hand has none.
    lots: dict[str, str] = field(default_factory=dict)
    expiries: dict[str, dt.date] = field(default_factory=dict)


def keep_marks_of_serials(line: LineIn) -> LineIn:
    """Drop from ``line`` the lots and expiry dates of serials no longer on it (a front end that takes a
    serial off a line calls this before saving; a save refuses a lot of a serial not on the line).
    Returns the line, changed in place."""
    on_line = set(line.serials)
    for marks in (line.lots, line.expiries):
        for s in [s for s in marks if s not in on_line]:
            del marks[s]
    return line


@dataclass
class DocumentIn:
    """A document as a front end gives it for save_document: kind, lines, warehouse and partner codes,
    date and note; ``generate_movement`` for invoices.
    """
    kind: str
    lines: list[LineIn] = field(default_factory=list)
    warehouse: str | None = None  # None: the default warehouse
    to_warehouse: str | None = None  # transfers only
    partner: str | None = None
    date: dt.date | None = None  # None: today
    note: str = ""
    generate_movement: bool | None = None  # invoices only; None: the configured default


@dataclass
class LineView:
    """A saved line as save_document and get_document give it back: position, item (code, name, unit,
    tracked), quantity, unit price, serials, and by serial the lots and expiry dates kept.
    """
    position: int
    item: str
    item_name: str
    unit: str
    tracked: bool
    quantity: Decimal
    price: Decimal
    serials: list[str]
    from_warehouse: str | None = None  # stock adjustments: the warehouse the line brings serials from
    lots: dict[str, str] = field(default_factory=dict)  # by serial, those that have one (LineIn)
    expiries: dict[str, dt.date] = field(default_factory=dict)

    @property
    def serial_count(self) -> int:
        """How many serials the line has."""
        return len(self.serials)


@dataclass
class DocumentView:
    """A saved document: its number, kind, date, warehouses, partner, note, who saved it, its lines, its
    version (for StaleDocument checks) and the documents linked to it (generated, source).
    """
    id: int
    number: str
    kind: str
    date: dt.date
    warehouse: str
    to_warehouse: str | None
    partner: str | None
    note: str
    operator: str
    generate_movement: bool | None
    source: str | None  # the invoice that generated this stock document
    generated: str | None  # the stock document this invoice generated
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[LineView]

    @property
    def title(self) -> str:
        """The kind's title: "goods receipt", "sales invoice", ..."""
        return KINDS[self.kind].title

    def to_input(self) -> DocumentIn:
        """The document as input again: what an editor starts from."""
        return DocumentIn(
            kind=self.kind, warehouse=self.warehouse, to_warehouse=self.to_warehouse, partner=self.partner,
            date=self.date, note=self.note, generate_movement=self.generate_movement,
            lines=[LineIn(l.item, l.quantity, l.price, list(l.serials), dict(l.lots), dict(l.expiries))
                   for l in self.lines],
        )


# --- how refusals name other documents ---------------------------------------------------------

_names: ContextVar[dict[str, str] | None] = ContextVar("document_names", default=None)


@contextmanager
def naming_documents(names: dict[str, str]):
    """Within the block, refusals that mention another document by number say ``names[number]`` instead
    (the dict may grow as the block goes on). The Excel import names the documents it saved from its
    own file so: "document 3 of this file". The refusal's ``document`` stays the number."""
    token = _names.set(names)
    try:
        yield
    finally:
        _names.reset(token)


def _doc(number: str | None) -> str | None:
    names = _names.get()
    return names.get(number, number) if names and number else number


# --- SQL (store.sql has the helpers) ------------------------------------------------------------

_sql = run_sql


def _lock_serials(ids) -> dict | None:
    """PostgreSQL: lock the serial rows in id order before deciding anything about them, so that
    concurrent savers queue instead of deadlocking; returns their state as it is now that they are
    ours ({(item id, code): (id, status, warehouse id, moved on)}: a concurrent saver may have committed since
    the first check). SQLite holds its write lock since before that check, which stands: None."""
    if not is_postgres() or not ids:
        return None
    rows = _sql("SELECT id, item_id, code, status, warehouse_id, moved_on FROM serial_number WHERE id = ANY(?) "
                "ORDER BY id FOR UPDATE", [sorted(ids)]).fetchall()
    return {(item_id, code): SerialState(sid, status, wh, _date(on)) for sid, item_id, code, status, wh, on in rows}


def _set_serials(ids, assignments: str, params: list) -> None:
    """UPDATE serial rows by id alone (their state was checked under lock): the planner then has only
    the primary key to go by, never a scan of every serial with a status or in a warehouse."""
    for chunk in chunks(ids):
        cond, in_params = in_list("id", chunk)
        _sql(f"UPDATE serial_number SET {assignments} WHERE {cond}", [*params, *in_params])


# --- preparing a document: resolve and validate everything before writing anything --------------

@dataclass
class _Line:
    position: int
    item: Item
    quantity: Decimal
    price: Decimal
    serials: list[str]
    lots: dict[str, str] = field(default_factory=dict)
    expiries: dict[str, dt.date] = field(default_factory=dict)


@dataclass
class _Prepared:
    kind: Kind
    warehouse: Warehouse
    to_warehouse: Warehouse | None
    partner: object
    date: dt.date
    note: str
    generate_movement: bool | None
    lines: list[_Line]


def check_quantity(item: str, tracked: bool, qty: Decimal, *, line: int | None = None) -> None:
    """A line's quantity: above 0, and whole for an item tracked by serial number."""
    where = None if line is not None else ""  # a line: "Line 2 (PHONE-X)"; outside one: the reason alone
    if qty <= 0:
        raise InvalidInput(reason="the quantity must be more than 0.", location=where, line=line, item=item,
                           field="quantity")
    if tracked and qty != qty.to_integral_value():
        raise QuantityNotWhole(reason=f"{item} is tracked by serial number, so the quantity must be whole, not {qty}.",
                               location=where, line=line, item=item, field="quantity")


def _prepare(doc: DocumentIn, problems: list[Refusal]) -> _Prepared | None:
    kind = KINDS.get(doc.kind)
    if kind is None:
        raise InvalidInput(f"Unknown document kind {doc.kind!r}; use one of {', '.join(KINDS)}.", field="kind")
    check_serials_per_document(sum(len(ln.serials or ()) for ln in doc.lines or ()))
    try:
        warehouse = catalog.get_warehouse(doc.warehouse)
    except Refusal as r:
        problems.append(r)
        warehouse = None
    to_warehouse = None
    if kind.name == "transfer":
        if not doc.to_warehouse:
            problems.append(InvalidInput("A transfer needs the warehouse it goes to.", field="to_warehouse"))
        else:
            try:
                to_warehouse = catalog.get_warehouse(doc.to_warehouse)
            except Refusal as r:
                r.field = "to_warehouse"
                problems.append(r)
            if warehouse and to_warehouse and warehouse.id == to_warehouse.id:
                problems.append(InvalidInput(
                    f"A transfer goes from one warehouse to another; both are {warehouse.code}.", field="to_warehouse"))
    elif doc.to_warehouse:
        problems.append(InvalidInput("Only a transfer has a warehouse to go to.", field="to_warehouse"))
    partner = None
    try:
        partner = catalog.get_partner(doc.partner)
    except Refusal as r:
        problems.append(r)
    else:
        if partner is None and kind.name in ("purchase_invoice", "sales_invoice"):
            who = "supplier" if kind.name == "purchase_invoice" else "customer"
            problems.append(InvalidInput(f"A {kind.title.lower()} needs a partner (its {who}).", field="partner"))
    try:
        note = catalog.clean_text(doc.note, "note", max_length=2000, required=False) or ""
    except Refusal as r:
        problems.append(r)
        note = ""
    date = doc.date or dt.date.today()
    if not isinstance(date, dt.date):
        problems.append(InvalidInput(f"The date {date!r} is not a date.", field="date"))
        date = dt.date.today()
    generate = None
    if kind.generates:
        generate = catalog.generate_movement_default(kind.name) if doc.generate_movement is None else bool(doc.generate_movement)
    if not doc.lines:
        problems.append(InvalidInput("A document needs at least one line.", field="lines"))

    lines: list[_Line] = []
    seen: dict[tuple[int, str], int] = {}
    items: dict[str, Item] = {}
    for position, raw in enumerate(doc.lines, start=1):
        code = (raw.item or "").strip()
        item = items.get(code) or catalog.find_item(code)
        if item is None:
            problems.append(NotFound(reason=f"no item {code or '(empty)'} in the price list.",
                                     location=f"Line {position}", line=position, item=code, field="item"))
            continue
        items[code] = item
        try:
            qty = catalog.clean_decimal(raw.quantity, "quantity", places=3, minimum=None)
        except Refusal as r:
            problems.append(InvalidInput(reason=r.reason[:1].lower() + r.reason[1:],
                                         line=position, item=item.code, field="quantity"))
            continue
        if qty <= 0:
            problems.append(InvalidInput(reason=f"the quantity must be more than 0.",
                                         line=position, item=item.code, field="quantity"))
            continue
        try:
            price = item.price if raw.price is None or raw.price == "" else catalog.clean_decimal(raw.price, "price")
        except Refusal as r:
            problems.append(InvalidInput(reason=r.reason[:1].lower() + r.reason[1:], line=position, item=item.code,
                                         field="price"))
            price = item.price
        serials: list[str] = []
        for s in raw.serials or []:
            try:
                serials.append(normalize_serial(s, line=position, item=item.code))
            except InvalidSerial as r:
                problems.append(r)
        if not item.tracked:
            if raw.serials:
                problems.append(InvalidInput(
                    reason=f"{item.code} does not track serial numbers; remove the serials from this line.",
                    line=position, item=item.code, field="serials"))
        else:
            try:
                check_quantity(item.code, item.tracked, qty, line=position)
            except Refusal as r:
                problems.append(r)
            if qty == qty.to_integral_value() and len(raw.serials or []) != qty:
                n = len(raw.serials or [])
                problems.append(SerialCountMismatch(
                    reason=f"{n} serial number{'' if n == 1 else 's'} for quantity {qty}",
                    line=position, item=item.code, field="serials"))
            for s in serials:
                first = seen.get((item.id, s))
                if first is not None:
                    also = "on this line" if first == position else f"on line {first}"
                    problems.append(DuplicateSerial(
                        reason=f"serial {s} is entered twice (also {also}).",
                        serial=s, line=position, item=item.code))
                else:
                    seen[(item.id, s)] = position
        lots, expiries = _lots_and_expiries(raw, serials, position, item.code, problems)
        lines.append(_Line(position, item, qty, Decimal(price), serials, lots, expiries))
    if warehouse is None:
        return None
    return _Prepared(kind, warehouse, to_warehouse, partner, date, note, generate, lines)


LOT_LENGTH = 20  # AI 10 holds up to 20 characters (GS1 General Specifications 3.2, AI 10)


def clean_lot(value, *, serial: str | None = None, line: int | None = None, item: str | None = None) -> str | None:
    """A serial's lot (batch) number as kept: trimmed text of at most 20 characters (AI 10's limit, GS1
    General Specifications 3.2), or None when empty. InvalidInput (field "lot", naming the serial) for
    a longer one or one holding a character the text rule refuses."""
    try:
        return catalog.clean_text(value, "lot", max_length=LOT_LENGTH, required=False)
    except InvalidInput as r:
        why = r.reason[:1].lower() + r.reason[1:]
        raise InvalidInput(reason=f"serial {serial}: {why}" if serial else why, serial=serial, line=line,
                           item=item, field="lot") from None


def clean_expiry(value, *, serial: str | None = None, line: int | None = None,
                 item: str | None = None) -> dt.date | None:
    """A serial's expiry date as kept: a date (a date, a datetime or ISO text YYYY-MM-DD), or None when
    empty. InvalidInput (field "expiry", naming the serial) for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        where = f"serial {serial}: " if serial else ""
        raise InvalidInput(reason=f"{where}the expiry date {str(value)[:40]!r} is not a date (YYYY-MM-DD).",
                           serial=serial, line=line, item=item, field="expiry") from None


def _lots_and_expiries(raw: LineIn, serials: list[str], position: int, item: str,
                       problems: list[Refusal]) -> tuple[dict, dict]:
    """The line's lots and expiry dates by (normalized) serial; a lot or expiry date given for a serial that
    is not on the line, or not a valid one, is a problem naming the serial."""
    lots: dict[str, str] = {}
    expiries: dict[str, dt.date] = {}
    if not (raw.lots or raw.expiries):
        return lots, expiries
    given = {}
    for s in raw.serials or []:
        try:
            given[str(s)] = normalize_serial(s, line=position, item=item)
        except InvalidSerial:
            pass  # said already
    for what, values, clean, into in (("a lot", raw.lots, clean_lot, lots),
                                      ("an expiry date", raw.expiries, clean_expiry, expiries)):
        for s, value in (values or {}).items():
            serial = given.get(str(s))
            if serial is None:
                problems.append(InvalidInput(reason=f"{what} is given for serial {s}, which is not on this line.",
                                             serial=str(s), line=position, item=item, field="serials"))
                continue
            try:
                value = clean(value, serial=serial, line=position, item=item)
            except Refusal as r:
                problems.append(r)
                continue
            if value is not None:
                into[serial] = value
    return lots, expiries


# --- effects: what a stock document does to stock ----------------------------------------------

class Key(NamedTuple):
    """One serial's movement by a document: which serial (item id and code), in or out of which
    warehouse. The keys of the moves dicts (``{Key: line position}``) that a save compares."""

    item_id: int
    code: str
    warehouse_id: int
    direction: int  # +1 in, -1 out

    @property
    def serial(self) -> tuple[int, str]:
        """(item id, code): the serial whatever the movement."""
        return self.item_id, self.code


class Entry(NamedTuple):
    """A saved movement's ledger row and its serial."""

    ledger_id: int
    serial_id: int


class LastMove(NamedTuple):
    """A serial's latest standing movement (_latest_entries)."""

    ledger_id: int
    document: str
    date: dt.date | None
    direction: int
    warehouse_id: int | None
    kind: str


class PriorMove(NamedTuple):
    """The standing movement a serial goes back to once an edit reverses this document's (_movements_before)."""

    document: str
    kind: str
    direction: int
    date: dt.date | None


class SerialState(NamedTuple):
    """A serial's row as a save decides on it (_serial_state, _lock_serials)."""

    serial_id: int
    status: str
    warehouse_id: int | None
    moved_on: dt.date | None


def _effect(kind: str, wh: int, to_wh: int | None, lines) -> tuple[dict, dict]:
    """(serial moves {(item_id, code, warehouse_id, direction): line position},
    quantities {(item_id, warehouse_id): signed milli-units}). ``lines``: (item id, milli-units, position,
    codes[, from warehouse id]); a stock adjustment's quantity is signed (below 0: out of ``wh``), and
    a line with a warehouse to come from moves from there into ``wh``."""
    moves: dict[Key, int] = {}
    qty: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        item_id, q, pos, codes = line[:4]
        if kind == "adjustment":
            source = line[4] if len(line) > 4 else None
            legs = [(source, -1), (wh, +1)] if source else [(wh, +1 if q > 0 else -1)]
            q = abs(q)
        elif kind == "receipt":
            legs = [(wh, +1)]
        elif kind == "issue":
            legs = [(wh, -1)]
        else:  # transfer: out of one, into the other
            legs = [(wh, -1), (to_wh, +1)]
        for w, d in legs:
            qty[(item_id, w)] += d * q
            for c in codes:
                moves[Key(item_id, c, w, d)] = pos
    return moves, dict(qty)


def _stored_effect(document: Document) -> tuple[dict, dict, dict]:
    """The effect of a saved stock document: its effective ledger entries and its quantities.
    Returns (moves {key: position}, quantities, entries {key: (ledger id, serial id)})."""
    rows = _sql(
        "SELECT l.id, l.serial_id, s.item_id, s.code, l.warehouse_id, l.direction, l.line_position "
        "FROM ledger l JOIN serial_number s ON s.id = l.serial_id WHERE l.document_id = ? AND l.state = ?",
        (document.id, EFFECTIVE)).fetchall()
    entries = {Key(item_id, code, wh, d): Entry(lid, sid) for lid, sid, item_id, code, wh, d, _pos in rows}
    moves_pos = {Key(item_id, code, wh, d): pos for _lid, _sid, item_id, code, wh, d, pos in rows}
    lines = [(ln.item_id, to_milli(ln.quantity), ln.position, (), ln.from_warehouse_id) for ln in document.lines]
    _, qty = _effect(document.kind, document.warehouse_id, document.to_warehouse_id, lines)
    return moves_pos, qty, entries


def _date(value) -> dt.date | None:
    """A date as SQLite's raw rows give it (text) or PostgreSQL's (a date)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _serial_state(pairs) -> dict[tuple[int, str], SerialState]:
    """Current {(item_id, code): (serial id, status, warehouse id, date of its latest movement)}."""
    by_item: dict[int, set] = defaultdict(set)
    for item_id, code in pairs:
        by_item[item_id].add(code)
    state = {}
    for item_id, codes in by_item.items():
        for chunk in chunks(codes):
            if is_sqlite():
                cond, params = in_list("code", chunk)
                rows = _sql(f"SELECT id, code, status, warehouse_id, moved_on FROM serial_number WHERE item_id = ? AND {cond}",
                            [item_id, *params]).fetchall()
            else:
                # One probe of the (item, code) index per code, whatever the statistics say: as
                # "code = ANY(array)" the planner may scan every serial of the item and test each against
                # the whole array (seconds for a receipt of 10,000 serials), and as a plain join it may
                # hash the codes and still scan the item's serials. OFFSET 0 keeps the lateral
                # subquery from being flattened into such a join.
                rows = _sql('SELECT s.id, s.code, s.status, s.warehouse_id, s.moved_on FROM unnest(?::text[]) AS c(code), '
                            'LATERAL (SELECT id, code, status, warehouse_id, moved_on FROM serial_number '
                            'WHERE item_id = ? AND code = c.code COLLATE "C" OFFSET 0) s',
                            [chunk, item_id]).fetchall()
            for sid, code, status, wh, on in rows:
                state[(item_id, code)] = SerialState(sid, status, wh, _date(on))
    return state


def _latest_entries(serial_ids) -> dict[int, LastMove]:
    """{serial id: (ledger id, doc number, document date, direction, warehouse id, doc kind)} of each
    serial's latest effective movement."""
    out = {}
    for chunk in chunks(serial_ids):
        cond, params = in_list("serial_id", chunk)
        rows = _sql(
            "SELECT l.serial_id, l.id, l.doc_number, l.doc_date, l.direction, l.warehouse_id, l.doc_kind FROM ledger l "
            f"JOIN (SELECT serial_id, MAX(id) AS m FROM ledger WHERE state = ? AND {cond} "
            "GROUP BY serial_id) x ON x.m = l.id", [EFFECTIVE, *params]).fetchall()
        for sid, lid, number, on, d, wh, kind in rows:
            out[sid] = LastMove(lid, number, _date(on), d, wh, kind)
    return out


def _day(on) -> str:
    """A document date as refusals give it: YYYY-MM-DD."""
    on = _date(on)
    return on.isoformat() if on else "?"


def _movements_before(existing: Document | None, undo: dict, apply: dict, entries: dict) -> dict:
    """For serials this edit both reverses and moves again: {(item id, code): (doc number, doc kind,
    direction, doc date)} of the latest standing movement that is not this document's, the one the
    new movement will follow."""
    pairs = {k.serial for k in undo} & {k.serial for k in apply}
    if existing is None or not pairs:
        return {}
    by_sid = {entries[k].serial_id: k.serial for k in undo if k.serial in pairs}
    out = {}
    for chunk in chunks(list(by_sid)):
        cond, params = in_list("serial_id", chunk)
        for sid, number, kind, d, on in _sql(
                f"SELECT serial_id, doc_number, doc_kind, direction, doc_date FROM ledger WHERE state = ? AND {cond} "
                "AND document_id <> ? ORDER BY id", [EFFECTIVE, *params, existing.id]).fetchall():
            out[by_sid[sid]] = PriorMove(number, kind, d, _date(on))
    return out


def _kept_order_problems(existing: Document, kept: dict, entries: dict, date: dt.date,
                         items: dict[int, Item]) -> list[Refusal]:
    """An edit that changes the document's date: each movement it keeps must still come after the
    serial's movement before it and before the one after it (by their documents' dates)."""
    if not kept:
        return []
    sids = {entries[k].serial_id for k in kept}
    rows: dict[int, list[LastMove]] = defaultdict(list)
    for chunk in chunks(list(sids)):
        cond, params = in_list("serial_id", chunk)
        for sid, lid, number, kind, d, on in _sql(
                f"SELECT serial_id, id, doc_number, doc_kind, direction, doc_date FROM ledger WHERE state = ? "
                f"AND {cond} AND document_id <> ? ORDER BY id", [EFFECTIVE, *params, existing.id]).fetchall():
            rows[sid].append(LastMove(lid, number, _date(on), d, None, kind))
    out: list[Refusal] = []
    done = set()
    for k, pos in sorted(kept.items(), key=lambda kv: kv[1]):
        item_id, code = k.serial
        if (item_id, code) in done:
            continue  # a transfer's two legs: one problem
        lid, sid = entries[k]
        earlier = [r for r in rows[sid] if r.ledger_id < lid]
        later = [r for r in rows[sid] if r.ledger_id > lid]
        for r, wrong, side in ((earlier[-1] if earlier else None, lambda on: date < on, "after"),
                               (later[0] if later else None, lambda on: date > on, "before")):
            if r is not None and r.date is not None and wrong(r.date):
                done.add((item_id, code))
                out.append(OutOfOrder(
                    reason=f"serial {code} was {_verb(r.kind, r.direction)} by {_doc(r.document)} on {_day(r.date)}, {side} "
                    f"{_day(date)}, the date of this document; a serial's movements follow the order of their "
                    "documents' dates.", serial=code, line=pos, item=items[item_id].code, document=r.document,
                    field="date"))
                break
    return out


def _wh_codes() -> dict[int, str]:
    return {w.id: w.code for w in Warehouse.select(Warehouse.id, Warehouse.code)}


def _other_items_with(code: str, item_id: int) -> list[str]:
    """Codes of the other items that have a serial ``code`` (a scan on the wrong item's line)."""
    return [r[0] for r in _sql("SELECT i.code FROM serial_number s JOIN item i ON i.id = s.item_id "
                               "WHERE s.code = ? AND s.item_id <> ? ORDER BY i.code", (code, item_id)).fetchall()]


def _verb(kind: str, direction: int) -> str:
    """How refusals say what a movement did: "moved" (transfer), "received", "issued", and for a stock
    count's adjustment "taken into stock" / "taken out of stock" (it neither received nor issued it)."""
    if kind == "transfer":
        return "moved"
    if kind == "adjustment":
        return "taken into stock" if direction > 0 else "taken out of stock"
    return "received" if direction > 0 else "issued"


def _availability_problems(kind: str, apply: dict, undo: dict, items: dict[int, Item],
                           seen: dict | None = None, state: dict | None = None, *,
                           date: dt.date | None = None, before: dict | None = None) -> list[Refusal]:
    """Refusals for moves that cannot be applied given the current stock, after the undo set.
    Receiving: the serial must not be in stock. Issuing: in stock in that warehouse.
    ``date``: the document's date; a move dated before the serial's latest movement is refused
    (OutOfOrder). ``before``: {(item id, code): (doc number, doc kind, direction, date)} of the movement
    a serial goes back to once ``undo`` is reversed (see _movements_before).
    ``seen``: filled with {(item id, code): serial id, or None for a serial not known yet}.
    ``state``: the serials' state as _lock_serials read it (else it is read here)."""
    pairs = {k.serial for k in apply}
    if not pairs:
        return []
    if state is None:
        state = _serial_state(pairs)
    if seen is not None:
        for pair in pairs:
            seen[pair] = state[pair].serial_id if pair in state else None
    # what the state will be once this document's own undone movements are reversed
    overlay = {}
    for (item_id, code, wh, d) in undo:
        overlay[(item_id, code)] = (ISSUED, None) if d > 0 else (IN_STOCK, wh)
    problems: list[tuple[Key, int, str]] = []  # (key, position, why)
    need_history = set()
    before = before or {}
    for key, pos in sorted(apply.items(), key=lambda kv: kv[1]):
        item_id, code, wh, d = key
        if kind == "transfer" and d > 0:
            continue  # the in-leg of a transfer is checked through its out-leg
        sid, status, at_wh, moved_on = state.get((item_id, code), (None, None, None, None))
        if (item_id, code) in overlay:
            status, at_wh = overlay[(item_id, code)]
            prev = before.get((item_id, code))
            moved_on = prev.date if prev else None
        if d > 0 and status == IN_STOCK:
            problems.append((key, pos, "held"))
            need_history.add(sid)
        elif d < 0 and not (status == IN_STOCK and at_wh == wh):
            problems.append((key, pos, status or "unknown"))
            if sid:
                need_history.add(sid)
        elif date is not None and moved_on is not None and date < moved_on:
            problems.append((key, pos, "early"))
            if (item_id, code) not in overlay:
                need_history.add(sid)
    if not problems:
        return []
    wh_codes = _wh_codes()
    latest = _latest_entries(need_history)
    out: list[Refusal] = []
    for (item_id, code, wh, d), pos, why in problems:
        item = items[item_id]
        sid = state[(item_id, code)].serial_id if (item_id, code) in state else None
        hist = latest.get(sid)
        by = f" by {_doc(hist.document)} on {_day(hist.date)}" if hist else ""
        if why == "early":
            last = hist if (item_id, code) not in overlay else before[(item_id, code)]
            number, on, verb = last.document, last.date, _verb(last.kind, last.direction)
            out.append(OutOfOrder(
                reason=f"serial {code} was {verb} by {_doc(number)} on {_day(on)}, after {_day(date)}, the date of "
                "this document; a serial's movements follow the order of their documents' dates.",
                serial=code, line=pos, item=item.code, document=number, field="date"))
        elif why == "held":
            place = wh_codes.get(state[(item_id, code)].warehouse_id, "?")
            came = "moved in" if hist and hist.kind == "transfer" else "received"
            out.append(SerialInStock(
                reason=f"serial {code} is already in stock in {place}{f', {came}' + by if by else ''}.",
                serial=code, line=pos, item=item.code, document=hist.document if hist else None))
        elif why == "unknown":
            others = _other_items_with(code, item_id)
            if others:
                whose = " or ".join(others)
                out.append(SerialNotAvailable(
                    reason=f"serial {code} is a serial of {whose}, not of {item.code}; issue it on a line of "
                    f"{whose}.", serial=code, line=pos, item=item.code))
            else:
                out.append(SerialNotAvailable(
                    reason=f"serial {code} is unknown for {item.code}; only serials in stock can be issued.",
                    serial=code, line=pos, item=item.code))
        elif why == ISSUED:
            out.append(SerialNotAvailable(
                reason=f"serial {code} was {_verb(hist.kind, -1) if hist else 'issued'}{by}; it is not in stock.",
                serial=code, line=pos, item=item.code, document=hist.document if hist else None))
        elif why == REMOVED:
            out.append(SerialNotAvailable(
                reason=f"serial {code} is not in stock (its receipt was deleted).",
                serial=code, line=pos, item=item.code))
        else:  # in stock, elsewhere
            place = wh_codes.get(state[(item_id, code)].warehouse_id, "?")
            out.append(SerialNotAvailable(
                reason=f"serial {code} is in warehouse {place}, not {wh_codes.get(wh, '?')}.",
                serial=code, line=pos, item=item.code))
    return out


# --- applying an effect ------------------------------------------------------------------------

@dataclass
class _Context:
    document: Document
    operator: str
    at: dt.datetime
    items: dict[int, Item]
    label: str  # how refusals name the document: its number, or "The new goods issue" before it exists
    # This save's ledger entries, (serial id, line position, direction, warehouse id, state) in order,
    # written by _finish once the document has its number (the entries carry it).
    ledger: list = field(default_factory=list)
    # {(item id, code): serial id or None} from the check made before anything was written
    seen: dict = field(default_factory=dict)
    doing: str = "saved"  # how a refusal says what could not be done: "saved" or "deleted"

    @property
    def subject(self) -> str:
        """How a problem names the document whose movement cannot change: its number, or for a document
        generated by an invoice (the one the operator acted on), "its goods receipt GR-...": the cause."""
        d = self.document
        if d.source_id is not None:
            return f"its {KINDS[d.kind].title.lower()} {d.number}"
        return d.number


def _serial_ids(ctx: _Context, pairs: set) -> dict[tuple[int, str], int]:
    """{(item id, code): serial id} of the serials among ``pairs`` that exist. From the check made before
    writing when it covered them all: a serial row, once there, stays (one inserted meanwhile by another
    saver makes this save's insert fail on the unique index, and the save is retried)."""
    seen = ctx.seen
    if all(p in seen for p in pairs):
        return {p: seen[p] for p in pairs if seen[p] is not None}
    return {p: v.serial_id for p, v in _serial_state(pairs).items()}


def _undo(ctx: _Context, undo: dict, entries: dict) -> None:
    """Reverse movements of this document, latest first (a transfer's in-leg before its out-leg)."""
    if not undo:
        return
    for direction in (+1, -1):
        keys = [k for k in undo if k.direction == direction]
        if not keys:
            continue
        pairs = [entries[k] for k in keys]  # (ledger id, serial id)
        serial_ids = [sid for _, sid in pairs]
        _lock_serials(serial_ids)
        latest = _latest_entries(serial_ids)
        moved = [(k, lid, sid) for k, (lid, sid) in zip(keys, pairs) if (latest[sid].ledger_id if sid in latest else None) != lid]
        if moved:
            problems = []
            for (item_id, code, _wh, _d), _lid, sid in moved[:50]:
                later = latest.get(sid)
                by = f"by {_doc(later.document)} on {_day(later.date)}" if later else "since"
                fix = f" Change or delete {_doc(later.document)} first." if later else ""
                problems.append(MovedSince(
                    f"Serial {code} ({ctx.items[item_id].code}) has moved since, {by}; "
                    f"{ctx.subject} cannot change it.{fix}",
                    serial=code, item=ctx.items[item_id].code, document=later.document if later else None))
            raise DocumentRefused(ctx.label, problems, doing=ctx.doing)
        ledger_ids = [lid for lid, _ in pairs]
        for chunk in chunks(ledger_ids):
            cond, params = in_list("id", chunk)
            _sql(f"UPDATE ledger SET state = ? WHERE {cond}", [REVERSED, *params])
        ctx.ledger += [(sid, undo[k], -k.direction, k.warehouse_id, REVERSAL) for k, (_, sid) in zip(keys, pairs)]
        _recompute_serials(serial_ids)  # from the effective entries only: the reversals can wait


def _recompute_serials(serial_ids) -> None:
    """Set each serial's status and place from its latest effective movement, and what it keeps for
    tracing (see models.Serial) from its standing movements and their documents."""
    for chunk in chunks(list(serial_ids)):
        cond, params = in_list("l.serial_id", chunk)
        state = {sid: [REMOVED, None, None, None, None, None, None, None] for sid in chunk}
        for sid, d, wh, kind, on, at, partner in _sql(
                "SELECT l.serial_id, l.direction, l.warehouse_id, l.doc_kind, l.doc_date, l.at, d.partner_id "
                f"FROM ledger l LEFT JOIN document d ON d.id = l.document_id WHERE l.state = ? AND {cond} "
                "ORDER BY l.serial_id, l.id", [EFFECTIVE, *params]).fetchall():
            st = state[sid]
            st[0], st[1], st[3] = (IN_STOCK if d > 0 else ISSUED), wh, on
            if d > 0:
                st[2] = at if st[2] is None or str(at) > str(st[2]) else st[2]
            if kind == "receipt" and d > 0:
                st[4:8] = [on, partner, None, None]
            elif kind == "issue" and d < 0:
                st[6:8] = [on, partner]
        execute_many("UPDATE serial_number SET status = ?, warehouse_id = ?, received_at = ?, moved_on = ?, received_on = ?, "
              "received_from_id = ?, issued_on = ?, issued_to_id = ? WHERE id = ?",
              [(*st, sid) for sid, st in state.items()])


def _apply(ctx: _Context, kind: str, apply: dict) -> None:
    """Apply new movements: outs first (a transfer takes before it gives), then ins."""
    if not apply:
        return
    for direction in (-1, +1):
        by_wh: dict[int, list[Key]] = defaultdict(list)
        for k in apply:
            if k.direction == direction:
                by_wh[k.warehouse_id].append(k)
        for wh, keys in sorted(by_wh.items()):
            if direction < 0:
                _apply_out(ctx, kind, wh, keys, apply)
            else:
                _apply_in(ctx, kind, wh, keys, apply)


def _ledger_rows(ids_by_key, keys, apply, wh, direction):
    return [(ids_by_key[k], apply[k], direction, wh, EFFECTIVE) for k in keys]


_LEDGER_COLUMNS = ("serial_id", "document_id", "doc_number", "doc_kind", "line_position", "direction",
                   "warehouse_id", "at", "doc_date", "operator", "state")


def _apply_out(ctx, kind, wh, keys, apply) -> None:
    known = _serial_ids(ctx, {k.serial for k in keys})
    ids_by_key = {k: known[k.serial] for k in keys if k.serial in known}
    ids = list(ids_by_key.values())
    locked = _lock_serials(ids)
    if locked is not None:
        # Decide on the rows as they are now that they are ours (asking after our own UPDATE would see
        # our own changes).
        problems = _availability_problems(kind, {k: apply[k] for k in keys}, {}, ctx.items, state=locked)
        if problems:
            raise DocumentRefused(ctx.label, problems)
    d = ctx.document
    if kind == "issue":
        _set_serials(ids, "status = ?, moved_on = ?, issued_on = ?, issued_to_id = ?",
                     [ISSUED, d.date, d.date, d.partner_id])
    else:
        _set_serials(ids, "status = ?, moved_on = ?", [ISSUED, d.date])
    ctx.ledger += _ledger_rows(ids_by_key, keys, apply, wh, -1)


def _apply_in(ctx, kind, wh, keys, apply) -> None:
    state = _serial_ids(ctx, {k.serial for k in keys})
    known = [k for k in keys if k.serial in state]
    # new serials are inserted in one order by every saver: two receipts of the same new serials wait on
    # each other's index entries (PostgreSQL) without a deadlock, and the later one is refused on retry
    new = sorted(k for k in keys if k.serial not in state)
    ids_by_key = {k: state[k.serial] for k in known}
    if known:
        ids = list(ids_by_key.values())
        locked = _lock_serials(ids)
        if locked is not None and kind != "transfer":  # a transfer's in-leg follows its out-leg, checked there
            problems = _availability_problems(kind, {k: apply[k] for k in known}, {}, ctx.items, state=locked)
            if problems:
                raise DocumentRefused(ctx.label, problems)
        d = ctx.document
        if kind == "receipt":
            _set_serials(ids, "status = ?, warehouse_id = ?, received_at = ?, moved_on = ?, received_on = ?, "
                         "received_from_id = ?, issued_on = NULL, issued_to_id = NULL",
                         [IN_STOCK, wh, timestamp(ctx.at), d.date, d.date, d.partner_id])
        else:
            _set_serials(ids, "status = ?, warehouse_id = ?, received_at = ?, moved_on = ?",
                         [IN_STOCK, wh, timestamp(ctx.at), d.date])
    if new:
        # A concurrent insert of the same serial fails on the unique index; the save is retried
        # and then refused by the availability check with the document that holds it.
        at = timestamp(ctx.at)
        on, partner = ctx.document.date, ctx.document.partner_id
        columns = ("item_id", "code", "status", "warehouse_id", "received_at", "moved_on", "received_on",
                   "received_from_id")
        if is_postgres():  # ids taken from the sequence first: no query afterwards to learn them
            ids = [r[0] for r in _sql("SELECT nextval('serial_number_id_seq') FROM generate_series(1, ?)",
                                      (len(new),)).fetchall()]
            insert_rows("serial_number", ("id", *columns),
                         [(sid, k.item_id, k.code, IN_STOCK, wh, at, on, on, partner) for sid, k in zip(ids, new)])
            ids_by_key.update(zip(new, ids))
        else:
            insert_rows("serial_number", columns, [(k.item_id, k.code, IN_STOCK, wh, at, on, on, partner) for k in new])
            fresh = _serial_state({k.serial for k in new})
            for k in new:
                ids_by_key[k] = fresh[k.serial].serial_id
    ctx.ledger += _ledger_rows(ids_by_key, keys, apply, wh, +1)


def _apply_quantities(ctx: _Context, old: dict, new: dict) -> None:
    delta = {k: new.get(k, 0) - old.get(k, 0) for k in set(old) | set(new)}
    wh_codes = None
    for (item_id, wh), d in sorted(delta.items()):
        if d > 0:
            _sql("INSERT INTO stock (item_id, warehouse_id, quantity) VALUES (?, ?, ?) "
                 "ON CONFLICT (item_id, warehouse_id) DO UPDATE SET quantity = stock.quantity + ?",
                 (item_id, wh, d, d))
        elif d < 0:
            cur = _sql("UPDATE stock SET quantity = quantity - ? WHERE item_id = ? AND warehouse_id = ? AND quantity >= ?",
                       (-d, item_id, wh, -d))
            if cur.rowcount != 1:
                have = _sql("SELECT quantity FROM stock WHERE item_id = ? AND warehouse_id = ?", (item_id, wh)).fetchone()
                wh_codes = wh_codes or _wh_codes()
                item = ctx.items.get(item_id) or Item.get_by_id(item_id)
                raise DocumentRefused(ctx.label, doing=ctx.doing, problems=[InsufficientStock(
                    f"Not enough {item.code} in {wh_codes.get(wh, '?')}: {from_milli(have[0] if have else 0)} "
                    f"in stock, {from_milli(-d)} needed.", item=item.code)])


# --- numbering ----------------------------------------------------------------------------------

def _next_number(kind: Kind, year: int) -> tuple[str, int]:
    row = _sql("INSERT INTO counter (kind, year, last) VALUES (?, ?, 1) "
               "ON CONFLICT (kind, year) DO UPDATE SET last = counter.last + 1 RETURNING last",
               (kind.name, year)).fetchone()
    seq = int(row[0])
    return f"{kind.prefix}-{year}-{seq:04d}", seq


def _provisional_number(kind: Kind) -> tuple[str, int]:
    """What a new document is stored under until _finish numbers it, just before its transaction commits:
    unique among the documents being saved at once (a clash fails on the unique index and the save is
    retried), never seen outside that transaction."""
    return f"~{kind.prefix}-{secrets.token_hex(12)}", -1 - secrets.randbelow(2**31 - 1)


def _finish(document: Document, ctx: _Context | None, old_qty: dict, new_qty: dict, *, number: bool) -> None:
    """The last steps of every save and deletion: the rows every save of a kind shares come last, so that
    their locks (PostgreSQL) are held from here to the commit only, not while the lines, serials and ledger
    of the document are written. In this order everywhere (serial rows are locked before, in id order):
    the counter of the document's kind and year, then the stock rows by (item, warehouse).
    A generated goods receipt/issue finishes inside its invoice's save, before the invoice is numbered."""
    if number:
        kind = KINDS[document.kind]
        document.number, document.seq = _next_number(kind, document.year)
        _sql("UPDATE document SET number = ?, seq = ? WHERE id = ?", (document.number, document.seq, document.id))
    if ctx is None:
        return
    if ctx.ledger:
        at = timestamp(ctx.at)
        d = ctx.document
        insert_rows("ledger", _LEDGER_COLUMNS,
                     [(sid, d.id, d.number, d.kind, pos, direction, wh, at, d.date, ctx.operator, state)
                      for sid, pos, direction, wh, state in ctx.ledger])
        ctx.ledger = []
    _apply_quantities(ctx, old_qty, new_qty)


# --- the services -------------------------------------------------------------------------------

def get_document(number: str) -> DocumentView:
    """The saved document with this number as a DocumentView.

    Raises NotFound for an unknown number, Forbidden when the acting token is limited to another
    warehouse.
    """
    doc = Document.get_or_none(Document.number == (number or "").strip())
    if doc is None:
        raise NotFound(f"No document {number}.", document=number)
    _within_warehouse_limit(doc)
    return _view(doc)


def _within_warehouse_limit(doc: Document, doing: str = "read or move") -> None:
    """Forbidden when the acting token is limited to one warehouse and ``doc`` touches another."""
    if rights.warehouse_limit() is None:
        return
    wh = _wh_codes()
    for wid in (doc.warehouse_id, doc.to_warehouse_id):
        if wid is not None:
            rights.require_warehouse(wh.get(wid), doing=doing)


def _limited_input(doc: DocumentIn) -> DocumentIn:
    """A token limited to one warehouse moves that warehouse's stock only: a document naming no warehouse
    is saved there, one naming another (either side of a transfer) is Forbidden."""
    limit = rights.warehouse_limit()
    if limit is None:
        return doc
    if doc.warehouse is None or not str(doc.warehouse).strip():
        doc = dataclasses.replace(doc, warehouse=limit)
    for code in (doc.warehouse, doc.to_warehouse):
        if code is not None and str(code).strip():
            rights.require_warehouse(code, doing="move")
    return doc


def document_kind(number: str) -> str:
    """The kind of a saved document (one small query), or NotFound."""
    row = Document.select(Document.kind).where(Document.number == (number or "").strip()).tuples().first()
    if row is None:
        raise NotFound(f"No document {number}.", document=number)
    return row[0]


def _view(doc: Document) -> DocumentView:
    wh = _wh_codes()
    lines = list(Line.select(Line, Item).join(Item).where(Line.document == doc).order_by(Line.position))
    serials: dict[int, list[str]] = defaultdict(list)
    lots: dict[int, dict] = defaultdict(dict)
    expiries: dict[int, dict] = defaultdict(dict)
    if lines:
        for line_id, code, lot, expiry in (LineSerial.select(LineSerial.line, LineSerial.code, LineSerial.lot,
                                                             LineSerial.expiry)
                                           .where(LineSerial.line.in_([l.id for l in lines]))
                                           .order_by(LineSerial.id).tuples()):
            serials[line_id].append(code)
            if lot is not None:
                lots[line_id][code] = lot
            if expiry is not None:
                expiries[line_id][code] = _date(expiry)
    generated = Document.get_or_none(Document.source == doc) if KINDS[doc.kind].generates else None
    return DocumentView(
        id=doc.id, number=doc.number, kind=doc.kind, date=doc.date, warehouse=wh[doc.warehouse_id],
        to_warehouse=wh.get(doc.to_warehouse_id), partner=doc.partner.code if doc.partner_id else None,
        note=doc.note, operator=doc.operator, generate_movement=doc.generate_movement,
        source=doc.source.number if doc.source_id else None,
        generated=generated.number if generated else None, version=doc.version,
        created_at=doc.created_at, updated_at=doc.updated_at,
        lines=[LineView(l.position, l.item.code, l.item.name, l.item.unit, l.item.tracked, l.quantity,
                        _cents(l.price), serials.get(l.id, []), wh.get(l.from_warehouse_id), lots.get(l.id, {}),
                        expiries.get(l.id, {})) for l in lines])


def save_document(doc: DocumentIn, *, operator: str, number: str | None = None,
                  expected_version: int | None = None) -> DocumentView:
    """Create (``number`` None) or replace a document, moving stock by the difference.
    Raises DocumentRefused listing every problem, or another Refusal; nothing is saved then.
    Returns the document as saved: what get_document(number) reads back (built from what was written,
    without reading it again)."""
    return _save_document(doc, operator=operator, number=number, expected_version=expected_version)


@write_transaction
def _save_document(doc: DocumentIn, *, operator: str, number: str | None,
                   expected_version: int | None) -> DocumentView:
    existing = None
    if number is not None:
        existing = Document.get_or_none(Document.number == number.strip())
        if existing is None:
            raise NotFound(f"No document {number}.", document=number)
        if existing.source_id is not None:
            raise GeneratedDocument(
                f"{existing.number} was generated by {existing.source.number}; change that invoice instead.",
                document=existing.number)
    rights.require("edit_document" if existing is not None else rights.NEW_DOCUMENT.get(doc.kind, "edit_document"))
    if existing is not None:
        _within_warehouse_limit(existing, "move")
    doc = _limited_input(doc)
    return _save(doc, operator=operator, existing=existing, expected_version=expected_version)


def _save(doc: DocumentIn, *, operator: str, existing: Document | None, expected_version: int | None = None,
          source: Document | None = None) -> DocumentView:
    label = existing.number if existing else f"The new {KINDS[doc.kind].title.lower()}" if doc.kind in KINDS else None
    if existing is not None:
        if existing.kind != doc.kind:
            raise InvalidInput(f"{existing.number} is a {KINDS[existing.kind].title.lower()}; its kind cannot change.",
                               field="kind", document=existing.number)
        if expected_version is not None and existing.version != expected_version:
            raise StaleDocument(
                f"{existing.number} was changed by {existing.operator or 'someone else'} meanwhile; "
                "reopen it to see the changes.", document=existing.number)
    if doc.kind in MADE_BY_COUNTS:
        raise InvalidInput(f"A stock adjustment is made by posting a stock count; it cannot be "
                           f"{'changed' if existing is not None else 'entered'} by hand.", field="kind",
                           document=existing.number if existing is not None else None)
    problems: list[Refusal] = []
    if existing is not None and KINDS[existing.kind].moves_stock:
        tracking = _tracking_problems(existing)
        if tracking:
            raise DocumentRefused(label, tracking)
    prep = _prepare(doc, problems)
    if prep is None:
        raise DocumentRefused(label, problems)
    # Problems found already (a missing partner, a bad quantity) do not stop the serials from being checked
    # against the stock below: every problem of the document is said in one pass (issue 12).
    early = problems
    kind = prep.kind
    if early and kind.name == "transfer" and prep.to_warehouse is None:
        raise DocumentRefused(label, early)  # no warehouse to check the serials' way into
    items = {l.item.id: l.item for l in prep.lines}
    new_lines = [(l.item.id, to_milli(l.quantity), l.position, l.serials) for l in prep.lines
                 if l.item.tracked or not l.serials]  # serials on an untracked item are a problem already

    # What changes, for documents that move stock or, for picking invoices, what must be available.
    old_moves, old_qty, entries = ({}, {}, {})
    seen: dict = {}
    if kind.moves_stock:
        if existing is not None:
            old_moves, old_qty, entries = _stored_effect(existing)
            for ln in existing.lines:
                items.setdefault(ln.item_id, ln.item)
        new_moves, new_qty = _effect(kind.name, prep.warehouse.id, prep.to_warehouse.id if prep.to_warehouse else None,
                                     new_lines)
        undo = {k: p for k, p in old_moves.items() if k not in new_moves}
        apply = {k: p for k, p in new_moves.items() if k not in old_moves}
        before = _movements_before(existing, undo, apply, entries)
        problems = early + _availability_problems(kind.name, apply, undo, items, seen, date=prep.date, before=before)
        if existing is not None and prep.date != existing.date:
            kept = {k: p for k, p in new_moves.items() if k in old_moves}
            problems += _kept_order_problems(existing, kept, entries, prep.date, items)
    elif not kind.receives and not prep.generate_movement:
        # A sales invoice that does not issue now still picks from what is in stock; what its own goods
        # issue holds counts as in stock, since switching the setting off deletes that issue.
        moves, _ = _effect("issue", prep.warehouse.id, None, new_lines)
        own = _generated_of(existing)
        own_moves = _stored_effect(own)[0] if own is not None else {}
        problems = early + _availability_problems("issue", {k: p for k, p in moves.items() if k not in own_moves},
                                                  own_moves, items)
    elif early and kind.generates and prep.generate_movement:
        # An invoice whose stock document is checked as it is saved (below, never reached now): its serials
        # are checked here as that receipt or issue would check them.
        effect = "receipt" if kind.receives else "issue"
        moves, _ = _effect(effect, prep.warehouse.id, None, new_lines)
        own = _generated_of(existing)
        own_moves = _stored_effect(own)[0] if own is not None else {}
        problems = early + _availability_problems(effect, {k: p for k, p in moves.items() if k not in own_moves},
                                                  own_moves, items)
    if problems:
        raise DocumentRefused(label, problems)

    now = utcnow()
    if existing is None:
        number, seq = _provisional_number(kind)
        document = _create_document(
            number=number, kind=kind.name, year=prep.date.year, seq=seq, date=prep.date,
            warehouse_id=prep.warehouse.id, to_warehouse_id=prep.to_warehouse.id if prep.to_warehouse else None,
            partner_id=prep.partner.id if prep.partner else None, note=prep.note, operator=operator,
            generate_movement=prep.generate_movement, source_id=source.id if source else None, version=1,
            created_at=now, updated_at=now)
    else:
        document = existing
        rows = (Document.update(date=prep.date, warehouse=prep.warehouse, to_warehouse=prep.to_warehouse,
                                partner=prep.partner, note=prep.note, operator=operator,
                                generate_movement=prep.generate_movement, updated_at=now,
                                version=Document.version + 1)
                .where((Document.id == existing.id) & (Document.version == existing.version)).execute())
        if rows != 1:
            raise StaleDocument(f"{existing.number} was changed by someone else meanwhile; reopen it.",
                                document=existing.number)
        document = Document.get_by_id(existing.id)
        _delete_lines(document)
    _write_lines(document, prep.lines)

    ctx = None
    generated = None
    if kind.moves_stock:
        ctx = _Context(document, operator, now, items, label, seen=seen)
        for k, pos in new_moves.items():  # kept movements follow their serial to its new line
            if k in old_moves and old_moves[k] != pos:
                _sql("UPDATE ledger SET line_position = ? WHERE id = ?", (pos, entries[k].ledger_id))
        if existing is not None and (existing.date, existing.partner_id) != (document.date, document.partner_id):
            # kept movements take the document's new date and partner (checked above: still in order)
            _sql("UPDATE ledger SET doc_date = ? WHERE document_id = ? AND state = ?",
                 (document.date, document.id, EFFECTIVE))
            _recompute_serials({entries[k].serial_id for k in new_moves if k in old_moves})
        _undo(ctx, undo, entries)
        _apply(ctx, kind.name, apply)
    elif kind.generates:
        generated = _sync_generated(document, doc, prep, operator, label)
    _finish(document, ctx, old_qty, new_qty if kind.moves_stock else {}, number=existing is None)
    return _saved_view(document, prep, source, generated)


def _saved_view(document: Document, prep: _Prepared, source: Document | None, generated: str | None) -> DocumentView:
    """What _view reads back for a document just saved, from what was written (tested to be equal)."""
    return DocumentView(
        id=document.id, number=document.number, kind=document.kind, date=prep.date, warehouse=prep.warehouse.code,
        to_warehouse=prep.to_warehouse.code if prep.to_warehouse else None,
        partner=prep.partner.code if prep.partner else None, note=prep.note, operator=document.operator,
        generate_movement=prep.generate_movement, source=source.number if source else None, generated=generated,
        version=document.version, created_at=document.created_at, updated_at=document.updated_at,
        lines=[LineView(l.position, l.item.code, l.item.name, l.item.unit, l.item.tracked,
                        from_milli(to_milli(l.quantity)), _cents(l.price), list(l.serials), None, dict(l.lots),
                        dict(l.expiries)) for l in prep.lines])


CENT = Decimal("0.01")


def _cents(price) -> Decimal:
    """A price as stored (two places), however the database hands it back (SQLite drops trailing zeros)."""
    return Decimal(price).quantize(CENT)


def _create_document(**columns) -> Document:
    """Document.create's INSERT, written out: every save makes one, and the query builder's Python
    cost more than the database's work (dates and Decimals go to SQLite through peewee's adapters)."""
    row = _sql(f"INSERT INTO document ({', '.join(columns)}) VALUES ({marks(len(columns))}) RETURNING id",
               list(columns.values())).fetchone()
    return Document(id=row[0], **columns)


def _write_lines(document: Document, lines: list[_Line]) -> None:
    if not lines:
        return
    ids = {}
    for i in range(0, len(lines), CHUNK // 5):
        chunk = lines[i:i + CHUNK // 5]
        ids.update(_sql("INSERT INTO doc_line (document_id, position, item_id, quantity, price) VALUES "
                        + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)) + " RETURNING position, id",
                        [v for l in chunk for v in (document.id, l.position, l.item.id, to_milli(l.quantity),
                                                    _cents(l.price))]).fetchall())
    if any(l.lots or l.expiries for l in lines):
        insert_rows("doc_line_serial", ("line_id", "code", "lot", "expiry"),
                     [(ids[l.position], s, l.lots.get(s), l.expiries.get(s)) for l in lines for s in l.serials])
    else:  # the common case (no GS1 lots): the two columns a bulk receipt of 100,000 serials has always sent
        insert_rows("doc_line_serial", ("line_id", "code"), [(ids[l.position], s) for l in lines for s in l.serials])


def _tracking_problems(doc: Document) -> list[Refusal]:
    """A stock document saved while an item of its lines had the other tracking setting (its line holds
    serials and the item is not tracked now, or none and it is) cannot be edited or deleted: undoing
    its movements would leave serials in stock of an untracked item, or stock of a tracked item without
    serials. Switching the item's tracking back makes it changeable again."""
    rows = _sql("SELECT l.position, i.code, i.tracked, (SELECT COUNT(*) FROM doc_line_serial s WHERE s.line_id = l.id) "
                "FROM doc_line l JOIN item i ON i.id = l.item_id WHERE l.document_id = ? ORDER BY l.position",
                (doc.id,)).fetchall()
    name = f"its {KINDS[doc.kind].title.lower()} {doc.number}" if doc.source_id is not None else doc.number
    out: list[Refusal] = []
    for position, item, tracked, n in rows:
        if bool(tracked) == (n > 0):
            continue
        was, now, switch = (("tracked", "is not now", "on") if n else ("not tracked", "is now", "off"))
        out.append(TrackingChanged(
            reason=f"{item} was {was} by serial number when {name} was saved and {now}; "
            f"switch its tracking {switch} again to change or delete {name}.",
            line=position, item=item, field="tracked", document=doc.number))
    return out


def _generated_of(invoice: Document | None) -> Document | None:
    """The goods receipt / goods issue an invoice generated, if it has one."""
    if invoice is None or not KINDS[invoice.kind].generates:
        return None
    return Document.get_or_none(Document.source == invoice)


def _sync_generated(invoice: Document, doc: DocumentIn, prep: _Prepared, operator: str, label: str) -> str | None:
    """Keep the invoice's goods receipt / goods issue in step with it (``label``: how refusals name the
    invoice, which has no number yet when it is new). Returns the number of that document, if any."""
    linked = Document.get_or_none(Document.source == invoice)
    if not prep.generate_movement:
        if linked is not None:
            _delete(linked, operator, label=label, doing="saved")
        return None
    stock_doc = DocumentIn(
        kind=KINDS[invoice.kind].generates, warehouse=prep.warehouse.code, partner=doc.partner, date=prep.date,
        note=prep.note,
        lines=[LineIn(l.item.code, l.quantity, l.price, l.serials, l.lots, l.expiries) for l in prep.lines])
    try:
        return _save(stock_doc, operator=operator, existing=linked, source=invoice).number
    except DocumentRefused as r:
        raise DocumentRefused(label, r.problems) from None


@write_transaction
def delete_document(number: str, *, operator: str) -> None:
    """Delete a document, reversing what it moved. An invoice takes its generated document along."""
    rights.require("delete_document")
    doc = Document.get_or_none(Document.number == (number or "").strip())
    if doc is None:
        raise NotFound(f"No document {number}.", document=number)
    _within_warehouse_limit(doc, "move")
    if doc.source_id is not None:
        raise GeneratedDocument(
            f"{doc.number} was generated by {doc.source.number}; delete or change that invoice instead.",
            document=doc.number)
    _delete(doc, operator)


def _delete(doc: Document, operator: str, *, label: str | None = None, doing: str = "deleted") -> None:
    """Delete ``doc`` and what it generated. ``label``: how a refusal names the document the operator
    acted on (an invoice, when this is its generated stock document); ``doing``: what was refused."""
    label = label or doc.number
    for generated in list(Document.select().where(Document.source == doc)):
        _delete(generated, operator, label=label, doing=doing)
    if KINDS[doc.kind].moves_stock:
        tracking = _tracking_problems(doc)
        if tracking:
            raise DocumentRefused(label, tracking, doing=doing)
        old_moves, old_qty, entries = _stored_effect(doc)
        items = {ln.item_id: ln.item for ln in doc.lines}
        ctx = _Context(doc, operator, utcnow(), items, label, doing=doing)
        _undo(ctx, old_moves, entries)
        _finish(doc, ctx, old_qty, {}, number=False)
    # The ledger keeps the document's movements (by number) for the serials' history.
    _sql("UPDATE ledger SET document_id = NULL WHERE document_id = ?", (doc.id,))
    _delete_lines(doc)
    doc.delete_instance()


def _delete_lines(document: Document) -> None:
    """A document's lines and the serials entered on them (on PostgreSQL no foreign key cascades
    to doc_line_serial: see store.migrations.PER_SERIAL_FOREIGN_KEYS)."""
    _sql("DELETE FROM doc_line_serial WHERE line_id IN (SELECT id FROM doc_line WHERE document_id = ?)",
         (document.id,))
    _sql("DELETE FROM doc_line WHERE document_id = ?", (document.id,))


@write_transaction
def create_stock_document_from_invoice(number: str, *, operator: str) -> DocumentView:
    """For an invoice saved without stock movement: create its goods receipt / goods issue now.
    From then on the invoice keeps it in step (its setting is switched on)."""
    rights.require("invoice")
    invoice = Document.get_or_none(Document.number == (number or "").strip())
    if invoice is None:
        raise NotFound(f"No document {number}.", document=number)
    _within_warehouse_limit(invoice, "move")
    if not KINDS[invoice.kind].generates:
        raise InvalidInput(f"{invoice.number} is not an invoice.", document=invoice.number)
    linked = Document.get_or_none(Document.source == invoice)
    if linked is not None:
        raise InvalidInput(f"{invoice.number} already has {linked.number}.", document=invoice.number)
    doc_in = _view(invoice).to_input()
    doc_in.generate_movement = True
    _save(doc_in, operator=operator, existing=invoice)
    return _view(Document.get_by_id(Document.get(Document.source == invoice).id))


def list_documents(kinds=None, *, search: str | None = None, before_id: int | None = None,
                   limit: int = 100) -> list[Document]:
    """Documents newest first, a page at a time (``before_id``: the last id of the previous page)."""
    q = Document.select().order_by(Document.id.desc()).limit(limit)
    if kinds:
        q = q.where(Document.kind.in_(list(kinds)))
    if search:
        q = q.where(Document.number.contains(search.strip()) | Document.note.contains(search.strip()))
    if before_id is not None:
        q = q.where(Document.id < before_id)
    return list(q)


def check_serial(kind: str, item: str, code: str, *, warehouse: str | None = None, entered=(),
                 document: str | None = None, line: int | None = None, elsewhere: dict | None = None,
                 gtin: str | None = None) -> str:
    """One scan, checked by the same rules a save applies: returns the cleaned serial or raises a Refusal.

    Receiving kinds: not twice on the line/document, not in stock now. Issuing kinds (issue, sales
    invoice, transfer): in stock in ``warehouse``. Every kind: not on another line of the same document
    (``elsewhere``: serial -> line number of this item's other lines; DuplicateSerial naming that line,
    as the save would). ``gtin``: the 14-digit GTIN a GS1 scan carried with the serial; refused
    (WrongItem, naming the item it belongs to, or NotFound) unless it is ``item``'s. Serials the edited
    ``document`` (or the stock document its invoice generated) already holds are accepted as they are."""
    k = KINDS.get(kind)
    if k is None:
        raise InvalidInput(f"Unknown document kind {kind!r}.", field="kind")
    rights.require_warehouse(warehouse)
    it = catalog.get_item(item)
    if gtin is not None:
        from .gs1 import gtin_forms

        if (it.ean or "") not in gtin_forms(gtin):
            other = catalog.find_item_by_gtin(gtin)
            if other is None:
                raise NotFound(reason=f"no item has the GTIN {gtin} of this code; this line is {it.code}'s.",
                               line=line, item=it.code, field="gtin")
            raise InvalidInput(reason=f"this code is for {other.code} ({other.name}), GTIN {gtin}, not {it.code}: "
                                      f"scan it on a line of {other.code}.", serial=code, line=line, item=it.code,
                               field="gtin")
    code = normalize_serial(code, line=line, item=it.code)
    if not it.tracked:
        raise InvalidInput(f"{it.code} does not track serial numbers.", item=it.code, field="serials")
    if gtin is None and it.ean and code.isdigit():
        # the item's own product barcode (its EAN, or a GS1 code of its GTIN alone: `01` and 14 digits),
        # scanned from the box instead of the unit's serial
        from .gs1 import gtin14, gtin_forms

        g = gtin14(code[2:]) if len(code) == 16 and code.startswith("01") else gtin14(code)
        if g is not None and it.ean in gtin_forms(g):
            raise InvalidInput(reason=f"{code} is the product barcode of {it.code} (GTIN {g}), not a unit's serial "
                                      "number: scan the serial's barcode.", serial=code, line=line, item=it.code,
                               field="serial")
    if code in set(entered):
        raise DuplicateSerial(reason=f"serial {code} is entered already.", serial=code, line=line, item=it.code)
    if elsewhere and code in elsewhere:
        # from a line's own serial form: entered twice; scanned on the document (no line): already there
        raise DuplicateSerial(reason=f"serial {code} is entered twice (also on line {elsewhere[code]})." if line
                              else f"serial {code} is on line {elsewhere[code]} already.",
                              serial=code, line=line, item=it.code)
    wh = catalog.get_warehouse(warehouse)
    direction = +1 if k.receives else -1
    key = Key(it.id, code, wh.id, direction)
    own: dict = {}
    if document:
        doc = Document.get_or_none(Document.number == document)
        holder = doc
        if doc is not None and k.generates:
            holder = Document.get_or_none(Document.source == doc)
        if holder is not None and KINDS[holder.kind].moves_stock:
            own = _stored_effect(holder)[0]
    if key in own:
        return code
    # a scan outside a line (line None) is refused from the item's point of view: "PHONE-X: serial ..."
    problems = _availability_problems("issue" if direction < 0 else "receipt", {key: line}, {}, {it.id: it})
    if problems:
        raise problems[0]
    return code
