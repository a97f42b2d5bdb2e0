"""Lookups for the quick questions on the floor: where is this serial, what is in stock.

Lists are paged by keyset (``after`` the last row of the previous page), so that no caller
ever loads a whole table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, Expression

from .db import db, is_sqlite
from .errors import InvalidInput
from .models import (
    EFFECTIVE,
    IN_STOCK,
    SERIAL_STATUSES,
    Item,
    Ledger,
    Serial,
    Stock,
    Warehouse,
)


def _dt(value):
    """Raw SQLite rows give timestamps as text; PostgreSQL as datetime. Callers always get datetime."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


@dataclass
class Movement:
    at: dt.datetime
    document: str
    kind: str
    line: int
    direction: int  # +1 in, -1 out
    warehouse: str
    operator: str
    state: int  # 0 effective, 1 reversed, 2 the reversal of one

    @property
    def label(self) -> str:
        if self.state == 2:
            return "reversed"
        return "in" if self.direction > 0 else "out"


@dataclass
class SerialRow:
    id: int
    code: str
    item: str
    item_name: str
    status: str
    warehouse: str | None
    received_at: dt.datetime | None
    received_by: str | None = None  # document of the latest effective movement in
    received_on: dt.datetime | None = None
    issued_by: str | None = None  # document of the latest effective movement out (issued serials)
    issued_on: dt.datetime | None = None


@dataclass
class SerialInfo(SerialRow):
    history: list[Movement] | None = None


_HISTORY_SQL = ("SELECT l.serial_id, l.at, l.doc_number, l.doc_kind, l.line_position, l.direction, w.code, l.operator, "
                "l.state FROM ledger l JOIN warehouse w ON w.id = l.warehouse_id WHERE l.serial_id {cond} ORDER BY l.id")


def _histories(serial_ids: list[int]) -> dict[int, list[Movement]]:
    out: dict[int, list[Movement]] = {sid: [] for sid in serial_ids}
    if not serial_ids:
        return out
    p = db.obj.param
    cond = f"IN ({','.join(p for _ in serial_ids)})"
    for sid, at, *rest in db.execute_sql(_HISTORY_SQL.format(cond=cond), serial_ids).fetchall():
        out[sid].append(Movement(_dt(at), *rest))
    return out


def serial_history(serial_id: int) -> list[Movement]:
    """Every movement of one serial, oldest first."""
    return _histories([serial_id])[serial_id]


def _rows(query) -> list[SerialRow]:
    # Plain tuples, not model instances: a quarter of the cost per row (exports page through millions).
    out = [SerialRow(*r) for r in query.tuples()]
    _add_documents(out)
    return out


def _add_documents(rows: list[SerialRow]) -> None:
    """Fill received_by / issued_by from each serial's latest effective movement in and out."""
    if not rows:
        return
    ids = [r.id for r in rows]
    marks = ",".join(db.obj.param for _ in ids)
    cur = db.execute_sql(
        "SELECT l.serial_id, l.direction, l.doc_number, l.at FROM ledger l JOIN ("
        "SELECT serial_id, direction, MAX(id) AS m FROM ledger "
        f"WHERE state = {EFFECTIVE} AND serial_id IN ({marks}) GROUP BY serial_id, direction) x ON x.m = l.id",
        ids)
    latest = {(sid, d): (number, _dt(at)) for sid, d, number, at in cur.fetchall()}
    for r in rows:
        r.received_by, r.received_on = latest.get((r.id, 1), (None, None))
        if r.status != IN_STOCK:
            r.issued_by, r.issued_on = latest.get((r.id, -1), (None, None))


_FIND_SQL = ("SELECT s.id, s.code, i.code, i.name, s.status, w.code, s.received_at FROM serial_number s "
             "JOIN item i ON i.id = s.item_id LEFT JOIN warehouse w ON w.id = s.warehouse_id "
             "WHERE s.code = {p} ORDER BY i.code")


def find_serial(code: str, *, history: bool = True) -> list[SerialInfo]:
    """Every item that has this serial, with status, warehouse and (optionally) history.
    Plain SQL: this is the floor's most frequent question and must stay quick."""
    code = (code or "").strip()
    if not code:
        return []
    rows = [SerialInfo(*r[:6], _dt(r[6])) for r in db.execute_sql(_FIND_SQL.format(p=db.obj.param), (code,)).fetchall()]
    if not history:
        _add_documents(rows)
        return rows
    histories = _histories([r.id for r in rows])
    for r in rows:
        r.history = histories[r.id]
        for m in r.history:  # the latest standing movement in, and out for a serial not in stock
            if m.state == EFFECTIVE and m.direction > 0:
                r.received_by, r.received_on = m.document, m.at
            elif m.state == EFFECTIVE and r.status != IN_STOCK:
                r.issued_by, r.issued_on = m.document, m.at
    return rows


def _prefix(field, prefix: str):
    if is_sqlite():
        # byte-wise comparison: an exact prefix range that uses the index
        return (field >= prefix) & (field < prefix + "\U0010ffff")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Expression(field, "LIKE", escaped + "%")


def list_serials(*, item: str | None = None, warehouse: str | None = None, status: str | None = IN_STOCK,
                 prefix: str | None = None, after: tuple[str, int] | None = None, limit: int = 100,
                 descending: bool = False) -> list[SerialRow]:
    """Serials in code order filtered by item code, warehouse code, status (None: all) and code prefix.
    ``after``: (code, id) of the last row of the previous page (the first row when descending)."""
    if status is not None and status not in SERIAL_STATUSES:
        raise InvalidInput(f"Unknown serial status {status!r}; use one of {', '.join(SERIAL_STATUSES)}.", field="status")
    limit = max(1, min(int(limit), 1000))
    q = (Serial.select(Serial.id, Serial.code, Item.code, Item.name, Serial.status, Warehouse.code, Serial.received_at)
         .join(Item).switch(Serial).join(Warehouse, JOIN.LEFT_OUTER))
    if item:
        it = Item.get_or_none(Item.code == item.strip())
        if it is None:
            return []
        q = q.where(Serial.item == it.id)
    if warehouse:
        wh = Warehouse.get_or_none(Warehouse.code == warehouse.strip())
        if wh is None:
            return []
        q = q.where(Serial.warehouse == wh.id)
    if status:
        q = q.where(Serial.status == status)
    if prefix:
        q = q.where(_prefix(Serial.code, prefix.strip()))
    if after is not None:
        code, sid = after
        # The plain range on code comes first so that the index seeks to it; with the OR alone
        # SQLite scans the index from its start on every page.
        if descending:
            q = q.where((Serial.code <= code) & ((Serial.code < code) | (Serial.id < sid)))
        else:
            q = q.where((Serial.code >= code) & ((Serial.code > code) | (Serial.id > sid)))
    order = (Serial.code.desc(), Serial.id.desc()) if descending else (Serial.code, Serial.id)
    return _rows(q.order_by(*order).limit(limit))


def oldest_in_stock(item: str, warehouse: str, count: int, *, exclude: set[str] = frozenset()) -> list[str]:
    """The ``count`` serials of an item that have been in that warehouse longest (first in, first out)."""
    it = Item.get_or_none(Item.code == item)
    wh = Warehouse.get_or_none(Warehouse.code == warehouse)
    if it is None or wh is None or count <= 0:
        return []
    out: list[str] = []
    q = (Serial.select(Serial.code)
         .where((Serial.item == it.id) & (Serial.warehouse == wh.id) & (Serial.status == IN_STOCK))
         .order_by(Serial.received_at, Serial.id))
    for (code,) in q.limit(count + len(exclude)).tuples():
        if code not in exclude:
            out.append(code)
            if len(out) == count:
                break
    return out


@dataclass
class StockRow:
    item: str
    item_name: str
    unit: str
    tracked: bool
    warehouse: str
    quantity: Decimal


def stock_levels(*, item: str | None = None, warehouse: str | None = None, search: str | None = None,
                 after: tuple[str, str] | None = None, limit: int = 100) -> list[StockRow]:
    """Quantity on hand per item and warehouse (non-zero only), by item code then warehouse code.
    ``search``: the item's code begins with it, or its name contains it (as the price list's search)."""
    q = (Stock.select(Stock, Item, Warehouse).join(Item).switch(Stock).join(Warehouse)
         .where(Stock.quantity != 0).order_by(Item.code, Warehouse.code).limit(max(1, min(int(limit), 1000))))
    if search and search.strip():
        s = search.strip()
        q = q.where(Item.code.startswith(s) | Item.name.contains(s))
    if item:
        q = q.where(Item.code == item.strip())
    if warehouse:
        q = q.where(Warehouse.code == warehouse.strip())
    if after is not None:
        q = q.where((Item.code > after[0]) | ((Item.code == after[0]) & (Warehouse.code > after[1])))
    return [StockRow(s.item.code, s.item.name, s.item.unit, s.item.tracked, s.warehouse.code, s.quantity) for s in q]


def stock_of(item: str, warehouse: str | None = None) -> Decimal:
    """Quantity of one item in one warehouse, or in all of them."""
    rows = stock_levels(item=item, warehouse=warehouse, limit=1000)
    return sum((r.quantity for r in rows), Decimal(0))


@dataclass
class ItemHit:
    code: str
    name: str
    unit: str
    ean: str | None
    tracked: bool
    stock: list[StockRow]
    serials_in_stock: int


@dataclass
class LookupResult:
    text: str
    serials: list[SerialInfo]
    items: list[ItemHit]

    @property
    def found(self) -> bool:
        return bool(self.serials or self.items)


def lookup(text: str, *, history: int = 5) -> LookupResult:
    """One scan or typed code: the serials with that code (any item), and the item with that code or
    EAN. Each serial keeps only its latest ``history`` movements."""
    from .catalog import find_item

    text = (text or "").strip()
    serials = find_serial(text) if text else []
    for s in serials:
        s.history = s.history[-history:]
    items = []
    item = find_item(text) if text else None
    if item is not None:
        n = Serial.select().where((Serial.item == item.id) & (Serial.status == IN_STOCK)).count()
        items.append(ItemHit(item.code, item.name, item.unit, item.ean, item.tracked,
                             stock_levels(item=item.code, limit=1000), n))
    return LookupResult(text, serials, items)
