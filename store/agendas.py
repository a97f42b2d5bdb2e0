"""Rows for the agenda screens: plain data, a page at a time, so that front ends never touch
lazy model attributes (a query each) on their event loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, fn

from . import catalog
from .documents import KINDS
from .lookups import StockRow, list_serials, stock_levels
from .models import IN_STOCK, Document, Item, Line, Partner, Serial, Stock, Warehouse


@dataclass
class ItemRow:
    id: int
    code: str
    name: str
    unit: str
    ean: str | None
    price: Decimal
    tracked: bool


@dataclass
class DocumentRow:
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
        return KINDS[self.kind].title


@dataclass
class CodeRow:
    id: int
    code: str
    name: str


def item_rows(search: str | None = None, *, after: str | None = None, limit: int = 100) -> list[ItemRow]:
    return [ItemRow(i.id, i.code, i.name, i.unit, i.ean, i.price, i.tracked)
            for i in catalog.list_items(search, after=after, limit=limit)]


def document_rows(kinds, search: str | None = None, *, before_id: int | None = None,
                  limit: int = 100, warehouse: str | None = None, partner: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None) -> list[DocumentRow]:
    """Documents of the given kinds, newest first; ``warehouse`` matches either side of a transfer."""
    wh = {w.id: w.code for w in Warehouse.select(Warehouse.id, Warehouse.code)}
    Src = Document.alias()
    q = (Document.select(Document, Partner.code.alias("partner_code"), Src.number.alias("source_number"))
         .join(Partner, JOIN.LEFT_OUTER, on=(Document.partner == Partner.id))
         .switch(Document).join(Src, JOIN.LEFT_OUTER, on=(Document.source == Src.id))
         .where(Document.kind.in_(list(kinds))).order_by(Document.id.desc()).limit(limit))
    if search:
        s = search.strip()
        q = q.where(Document.number.contains(s) | Document.note.contains(s) | Partner.code.startswith(s))
    if before_id is not None:
        q = q.where(Document.id < before_id)
    if warehouse:
        w = Warehouse.get_or_none(Warehouse.code == warehouse.strip())
        if w is None:
            return []
        q = q.where((Document.warehouse == w.id) | (Document.to_warehouse == w.id))
    if partner:
        q = q.where(Partner.code == partner.strip())
    if date_from is not None:
        q = q.where(Document.date >= date_from)
    if date_to is not None:
        q = q.where(Document.date <= date_to)
    docs = list(q.objects())
    counts = {}
    if docs:
        counts = dict(Line.select(Line.document, fn.COUNT(Line.id)).where(Line.document.in_([d.id for d in docs]))
                      .group_by(Line.document).tuples())
    return [DocumentRow(d.id, d.number, d.kind, d.date, wh.get(d.warehouse_id, "?"), wh.get(d.to_warehouse_id),
                        d.partner_code, d.note, d.operator, counts.get(d.id, 0), d.generate_movement, d.source_number)
            for d in docs]


def warehouse_rows(search: str | None = None, *, after: str | None = None, limit: int = 100) -> list[CodeRow]:
    q = Warehouse.select().order_by(Warehouse.code).limit(limit)
    if search:
        q = q.where(Warehouse.code.startswith(search.strip()) | Warehouse.name.contains(search.strip()))
    if after is not None:
        q = q.where(Warehouse.code > after)
    return [CodeRow(w.id, w.code, w.name) for w in q]


def partner_rows(search: str | None = None, *, after: str | None = None, limit: int = 100) -> list[CodeRow]:
    return [CodeRow(p.id, p.code, p.name) for p in catalog.list_partners(search, after=after, limit=limit)]


@dataclass
class ItemDetail:
    item: ItemRow
    stock: list[StockRow]
    serials_in_stock: int


def item_detail(code: str) -> ItemDetail:
    i = catalog.get_item(code)
    in_stock = Serial.select().where((Serial.item == i.id) & (Serial.status == IN_STOCK)).count()
    return ItemDetail(ItemRow(i.id, i.code, i.name, i.unit, i.ean, i.price, i.tracked),
                      stock_levels(item=i.code, limit=1000), in_stock)


def is_empty() -> bool:
    from .demo import is_empty as _empty
    return _empty()


__all__ = ["ItemRow", "DocumentRow", "CodeRow", "ItemDetail", "item_rows", "document_rows", "warehouse_rows",
           "partner_rows", "item_detail", "list_serials", "stock_levels", "Stock"]
