"""A one-glance summary of the database, for the first screen."""

from __future__ import annotations

from dataclasses import dataclass

from .models import IN_STOCK, Document, Item, Serial, Warehouse


@dataclass
class Summary:
    items: int
    tracked_items: int
    warehouses: int
    documents: int
    serials_in_stock: int


def summary() -> Summary:
    return Summary(
        items=Item.select().count(),
        tracked_items=Item.select().where(Item.tracked == True).count(),  # noqa: E712
        warehouses=Warehouse.select().count(),
        documents=Document.select().count(),
        serials_in_stock=Serial.select().where(Serial.status == IN_STOCK).count(),
    )
