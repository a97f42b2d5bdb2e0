"""`serialstock demo`: believable demo data for a newcomer, through the same services as everyone."""

from __future__ import annotations

import datetime as dt
import random

from . import catalog
from .db import write_transaction
from .documents import DocumentIn, LineIn, create_stock_document_from_invoice, save_document
from .errors import Refusal
from .models import Document, Item, Partner
from .serials import generate_serials

OPERATOR = "demo"


def is_empty() -> bool:
    """True when the database holds no item, document or partner: a first start, where the app offers the demo data."""
    return not (Item.select().exists() or Document.select().exists() or Partner.select().exists())


@write_transaction
def fill(*, serials_per_model: int = 400, seed: int = 7) -> dict:
    """Fill an empty database, all or nothing. Returns counts of what was made. Refuses a database with data."""
    from .rights import require

    require("import")
    if not is_empty():
        raise Refusal("The database already has data; demo data goes only into an empty database.")
    rnd = random.Random(seed)
    catalog.create_warehouse("SHOP", "Shop floor")
    for code, name in [("ACME", "Acme Electronics Ltd."), ("NORD", "Nordic Distribution"),
                       ("CITY", "City Repair Shop"), ("WEB", "E-shop customers")]:
        catalog.create_partner(code, name)
    tracked = [
        ("PHONE-X", "Phone X 128 GB", "8594000000013", "349.00", "PX"),
        ("PHONE-Y", "Phone Y 256 GB", "8594000000020", "499.00", "PY"),
        ("LAPTOP-14", "Laptop 14\" i5", "8594000000037", "899.00", "LT14-"),
        ("SCAN-R5", "Rugged scanner R5", "8594000000044", "1199.00", "R5-"),
        ("ROUTER-AX", "Wi-Fi router AX3000", "8594000000051", "129.00", "RAX"),
    ]
    untracked = [
        ("CABLE-USBC", "USB-C cable 1 m", "8594000000068", "9.90", "pcs"),
        ("CASE-PX", "Phone X case", "8594000000075", "14.90", "pcs"),
        ("LABEL-ROLL", "Label roll 1000", None, "6.50", "roll"),
        ("TAPE", "Packing tape", None, "2.40", "m"),
    ]
    for code, name, ean, price, _ in tracked:
        catalog.create_item(code, name, ean=ean, price=price, tracked=True)
    for code, name, ean, price, unit in untracked:
        catalog.create_item(code, name, ean=ean, price=price, unit=unit)

    today = dt.date.today()
    counts = {"documents": 0}

    def save(doc, number=None):
        counts["documents"] += 1
        return save_document(doc, operator=OPERATOR, number=number)

    in_stock: dict[str, list[str]] = {}
    # Receive each model: half by purchase invoice with its automatic receipt, half by goods receipt.
    for n, (code, _, _, price, prefix) in enumerate(tracked):
        first = f"{prefix}{rnd.randint(1000, 4000):06d}"
        codes = generate_serials(first, serials_per_model)
        half = serials_per_model // 2
        save(DocumentIn("purchase_invoice", partner="ACME" if n % 2 else "NORD", date=today - dt.timedelta(days=30 - n),
                        note="Demo delivery", lines=[LineIn(code, half, price, codes[:half]),
                                                     LineIn("CABLE-USBC", 50), LineIn("CASE-PX", 40),
                                                     LineIn("LABEL-ROLL", 10)]))
        save(DocumentIn("receipt", partner="NORD", date=today - dt.timedelta(days=20 - n),
                        lines=[LineIn(code, serials_per_model - half, price, codes[half:]), LineIn("TAPE", "125.5")]))
        in_stock[code] = list(codes)
    # Move some to the shop floor.
    moved = {code: in_stock[code][:20] for code in in_stock}
    save(DocumentIn("transfer", warehouse="MAIN", to_warehouse="SHOP", date=today - dt.timedelta(days=10),
                    lines=[LineIn(code, len(c), None, c) for code, c in moved.items()]))
    for code in in_stock:
        in_stock[code] = in_stock[code][20:]
    # Sell some: sales invoices with their automatic goods issue, and plain goods issues.
    sold = []
    for day in range(8):
        code = tracked[day % len(tracked)][0]
        picks = [in_stock[code].pop(rnd.randrange(len(in_stock[code]))) for _ in range(rnd.randint(1, 6))]
        sold.append((code, picks))
        kind = "sales_invoice" if day % 2 == 0 else "issue"
        save(DocumentIn(kind, partner="WEB" if day % 3 else "CITY", date=today - dt.timedelta(days=8 - day),
                        lines=[LineIn(code, len(picks), None, picks), LineIn("CASE-PX", 2)]))
    # A sales invoice saved without stock movement, and issued later from the invoice.
    code = tracked[0][0]
    picks = in_stock[code][:3]
    del in_stock[code][:3]
    inv = save(DocumentIn("sales_invoice", partner="CITY", generate_movement=False, date=today - dt.timedelta(days=2),
                          lines=[LineIn(code, 3, None, picks)]))
    create_stock_document_from_invoice(inv.number, operator=OPERATOR)
    # A customer return: one sold serial comes back into stock.
    code, picks = sold[0]
    save(DocumentIn("receipt", partner="CITY", date=today - dt.timedelta(days=1), note="Customer return",
                    lines=[LineIn(code, 1, None, [picks[0]])]))
    # An open purchase invoice that has not moved stock yet.
    try:
        save(DocumentIn("purchase_invoice", partner="ACME", generate_movement=False, date=today,
                        note="Goods on the way", lines=[LineIn("ROUTER-AX", 2, None, ["RAX-TRANSIT-1", "RAX-TRANSIT-2"])]))
    except Refusal:
        pass
    counts["items"] = Item.select().count()
    counts["documents"] = Document.select().count()  # with the receipts and issues the invoices made
    return counts
