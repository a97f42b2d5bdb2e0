"""A one-glance summary of the database, for the first screen."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from .models import Document, Item, Stock, Warehouse


@dataclass
class Summary:
    """Counts for the menu's status: items (and how many are tracked), warehouses, documents, serials in stock."""
    items: int
    tracked_items: int
    warehouses: int
    documents: int
    serials_in_stock: int


def summary() -> Summary:
    """The database's counts as a Summary. Serials in stock are read from the stock of tracked items (equal
    to their serials in stock, which ``serialstock check`` verifies), so it stays quick at a million serials.
    """
    return Summary(
        items=Item.select().count(),
        tracked_items=Item.select().where(Item.tracked == True).count(),  # noqa: E712
        warehouses=Warehouse.select().count(),
        documents=Document.select().count(),
        # stock of tracked items equals their serials in stock (checked by `serialstock check`),
        # and summing a few stock rows is far quicker than counting a million serials
        serials_in_stock=int(Stock.select(fn.COALESCE(fn.SUM(Stock.quantity), 0)).join(Item)
                             .where(Item.tracked == True).scalar() or 0) // 1000,  # noqa: E712
    )
