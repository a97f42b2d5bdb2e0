"""Rows for the agenda screens: plain data, a page at a time, so that front ends never touch
lazy model attributes (a query each) on their event loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, fn

from . import catalog
from .db import db
from .documents import KINDS
from .lookups import MOVEMENTS_SQL, Movement, StockRow, list_serials, movement_of, stock_levels
from .models import Document, Item, Line, Partner, Stock, Warehouse
from .serials import clean_code_text, clean_search


@dataclass
class ItemRow:
    """A price-list item as the lists show it: id, code, name, unit, EAN, unit price, tracked."""
    id: int
    code: str
    name: str
    unit: str
    ean: str | None
    price: Decimal
    tracked: bool


@dataclass
class DocumentRow:
    """A document as its agenda shows it: number, kind, date, warehouses, partner, note, who saved it,
    its number of lines, the invoice's movement setting and the invoice it was generated from."""
    id: int
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

    @property
    def title(self) -> str:
        """The kind's title: "goods receipt", "sales invoice", ..."""
        return KINDS[self.kind].title


@dataclass
class CodeRow:
    """A warehouse or partner (or an item, for choosing one): id, code, name."""
    id: int
    code: str
    name: str


def item_rows(search: str | None = None, *, after: str | None = None, limit: int = 100,
              descending: bool = False) -> list[ItemRow]:
    """Price-list items by code, a page at a time: those whose code starts with ``search``, whose name
    holds it or whose EAN is it; after the code ``after`` (keyset; None: from the first), or before it
    with ``descending``. ``limit``: rows at most (store.catalog.list_items). Raises InvalidInput for a
    search that breaks the text rule (store.serials.clean_search).
    """
    return [ItemRow(i.id, i.code, i.name, i.unit, i.ean, i.price, i.tracked)
            for i in catalog.list_items(search, after=after, limit=limit, descending=descending)]


def count_items(search: str | None = None) -> int:
    """How many items item_rows pages through for ``search``."""
    return catalog.list_items(search, count=True)


def document_rows(kinds, search: str | None = None, *, before_id: int | None = None,
                  limit: int = 100, warehouse: str | None = None, partner: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  after_id: int | None = None, oldest_first: bool = False,
                  count: bool = False) -> list[DocumentRow] | int:
    """Documents of the given kinds, newest first (``oldest_first``: the other way, ``after_id`` then
    being the last id of the page before); ``warehouse`` matches either side of a transfer (a token
    limited to one warehouse sees only that warehouse's documents). ``count``: how many documents these
    filters find."""
    from .rights import limited_warehouse

    warehouse = limited_warehouse(warehouse)
    wh = {w.id: w.code for w in Warehouse.select(Warehouse.id, Warehouse.code)}
    Src = Document.alias()
    q = (Document.select(Document, Partner.code.alias("partner_code"), Src.number.alias("source_number"))
         .join(Partner, JOIN.LEFT_OUTER, on=(Document.partner == Partner.id))
         .switch(Document).join(Src, JOIN.LEFT_OUTER, on=(Document.source == Src.id))
         .where(Document.kind.in_(list(kinds))))
    search = clean_search(search)
    if search:
        s = search.strip()
        q = q.where(Document.number.contains(s) | Document.note.contains(s) | Partner.code.startswith(s))
    if before_id is not None:
        q = q.where(Document.id < before_id)
    if after_id is not None:
        q = q.where(Document.id > after_id)
    if warehouse:
        w = Warehouse.get_or_none(Warehouse.code == clean_code_text(warehouse))
        if w is None:
            return 0 if count else []
        q = q.where((Document.warehouse == w.id) | (Document.to_warehouse == w.id))
    if partner:
        q = q.where(Partner.code == clean_code_text(partner))
    if date_from is not None:
        q = q.where(Document.date >= date_from)
    if date_to is not None:
        q = q.where(Document.date <= date_to)
    if count:
        return q.count()
    q = q.order_by(Document.id if oldest_first else Document.id.desc()).limit(limit)
    docs = list(q.objects())
    counts = {}
    if docs:
        counts = dict(Line.select(Line.document, fn.COUNT(Line.id)).where(Line.document.in_([d.id for d in docs]))
                      .group_by(Line.document).tuples())
    return [DocumentRow(d.id, d.number, d.kind, d.date, wh.get(d.warehouse_id, "?"), wh.get(d.to_warehouse_id),
                        d.partner_code, d.note, d.operator, counts.get(d.id, 0), d.generate_movement, d.source_number)
            for d in docs]


def warehouse_rows(search: str | None = None, *, after: str | None = None, limit: int = 100,
                   descending: bool = False, count: bool = False) -> list[CodeRow] | int:
    """Warehouses by code, a page at a time, as item_rows; with ``count`` their number instead."""
    q = Warehouse.select()
    search = clean_search(search)
    if search:
        q = q.where(Warehouse.code.startswith(search.strip()) | Warehouse.name.contains(search.strip()))
    if count:
        return q.count()
    if after is not None:
        q = q.where(Warehouse.code < after if descending else Warehouse.code > after)
    q = q.order_by(Warehouse.code.desc() if descending else Warehouse.code).limit(limit)
    return [CodeRow(w.id, w.code, w.name) for w in q]


def partner_rows(search: str | None = None, *, after: str | None = None, limit: int = 100,
                 descending: bool = False) -> list[CodeRow]:
    """Partners by code, a page at a time, as item_rows."""
    return [CodeRow(p.id, p.code, p.name)
            for p in catalog.list_partners(search, after=after, limit=limit, descending=descending)]


def count_partners(search: str | None = None) -> int:
    """How many partners partner_rows pages through for ``search``."""
    return catalog.list_partners(search, count=True)


def pick_rows(kind: str, search: str | None = None, *, after: str | None = None, limit: int = 100,
              descending: bool = False, count: bool = False) -> list[CodeRow] | int:
    """Partners, warehouses or items (``kind``) for choosing one: the code or the name holds the search,
    in any case; by code, paged both ways as list_items. ``count``: how many match."""
    model = {"partner": Partner, "warehouse": Warehouse, "item": Item}[kind]
    q = model.select(model.id, model.code, model.name)
    search = clean_search(search)
    if search and search.strip():
        s = search.strip().lower()
        q = q.where(fn.LOWER(model.code).contains(s) | fn.LOWER(model.name).contains(s))
    if count:
        return q.count()
    if after is not None:
        q = q.where(model.code < after if descending else model.code > after)
    q = q.order_by(model.code.desc() if descending else model.code).limit(max(1, min(int(limit), 1000)))
    return [CodeRow(r.id, r.code, r.name) for r in q]


@dataclass
class MovementRow(Movement):
    """A serial's movement (lookups.Movement) with its ledger id, the history list's order and keyset."""
    id: int = 0  # the ledger row's id: the list's order and its keyset


def history_rows(serial_id: int, *, after: int | None = None, limit: int = 100,
                 descending: bool = False) -> list[MovementRow]:
    """One serial's movements (lookups.serial_history) a page at a time, oldest first: those after the
    ledger id ``after`` (None: from the first), or with ``descending`` those before it, nearest first
    (None: from the last). ``limit``: 1 to 1000."""
    p = db.obj.param
    limit = max(1, min(int(limit), 1000))
    params = [int(serial_id)]
    cond = ""
    if after is not None:
        cond = f" AND l.id {'<' if descending else '>'} {p}"
        params.append(int(after))
    sql = MOVEMENTS_SQL + f"WHERE l.serial_id = {p}{cond} ORDER BY l.id{' DESC' if descending else ''} LIMIT {limit}"
    return [movement_of(row, MovementRow) for row in db.execute_sql(sql, params).fetchall()]


def count_history(serial_id: int) -> int:
    """How many movements history_rows pages through for this serial."""
    p = db.obj.param
    return db.execute_sql(f"SELECT COUNT(*) FROM ledger WHERE serial_id = {p}", [int(serial_id)]).fetchone()[0]


@dataclass
class ItemDetail:
    """One item with its stock per warehouse and how many of its serials are in stock."""
    item: ItemRow
    stock: list[StockRow]
    serials_in_stock: int


def item_detail(code: str) -> ItemDetail:
    """The item with this code and its stock (ItemDetail). Raises NotFound for an unknown code."""
    i = catalog.get_item(code)
    from .lookups import _in_stock_count

    in_stock = _in_stock_count(i.id)
    return ItemDetail(ItemRow(i.id, i.code, i.name, i.unit, i.ean, i.price, i.tracked),
                      stock_levels(item=i.code, limit=1000), in_stock)


def is_empty() -> bool:
    """True when the database holds no item, document or partner (the demo data is offered then)."""
    from .demo import is_empty as _empty
    return _empty()


__all__ = ["ItemRow", "DocumentRow", "CodeRow", "ItemDetail", "MovementRow", "history_rows", "count_history", "item_rows", "document_rows", "warehouse_rows",
           "partner_rows", "item_detail", "list_serials", "stock_levels", "Stock"]
