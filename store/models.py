"""The tables. Declarative only: the rules live in the service modules beside them."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)

from .db import db


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class QuantityField(BigIntegerField):
    """A quantity stored as an integer count of thousandths, so that sums in SQL are exact
    on SQLite and PostgreSQL alike. Python sees a Decimal with three places at most."""

    SCALE = 1000

    def db_value(self, value):
        if value is None:
            return None
        return int((Decimal(value) * self.SCALE).to_integral_value())

    def python_value(self, value):
        if value is None:
            return None
        return (Decimal(int(value)) / self.SCALE).normalize() + Decimal(0)


def to_milli(q: Decimal) -> int:
    return QuantityField().db_value(q)


def from_milli(v: int) -> Decimal:
    return QuantityField().python_value(v)


class BaseModel(Model):
    """A foreign key that leads a composite index below is declared index=False: that index serves
    it (joins, ON DELETE checks), and a second one would only slow every insert (schema 5)."""

    class Meta:
        database = db
        legacy_table_names = False


class Setting(BaseModel):
    """Key/value settings, the schema version among them."""

    key = CharField(max_length=100, primary_key=True)
    value = TextField()


class Item(BaseModel):
    code = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    unit = CharField(max_length=16, default="pcs")
    ean = CharField(max_length=14, null=True, unique=True)
    price = DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), auto_round=True)
    tracked = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class Warehouse(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200)
    is_default = BooleanField(default=False)


class Partner(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200)


class Counter(BaseModel):
    """Last number given per document kind and year."""

    kind = CharField(max_length=20)
    year = IntegerField()
    last = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("kind", "year")


class Document(BaseModel):
    number = CharField(max_length=32, unique=True)
    kind = CharField(max_length=20)  # served by the (kind, year, seq) index
    year = IntegerField()
    seq = IntegerField()
    date = DateField()
    warehouse = ForeignKeyField(Warehouse, backref="documents", on_delete="RESTRICT")
    to_warehouse = ForeignKeyField(Warehouse, null=True, backref="incoming", on_delete="RESTRICT")
    partner = ForeignKeyField(Partner, null=True, backref="documents", on_delete="RESTRICT")
    note = TextField(default="")
    operator = CharField(max_length=100, default="")
    # Invoices only: whether saving also saves the linked goods receipt / goods issue.
    generate_movement = BooleanField(null=True)
    # A stock document generated from an invoice points at that invoice.
    source = ForeignKeyField("self", null=True, backref="generated", on_delete="RESTRICT")
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("kind", "year", "seq"), True),)


class Line(BaseModel):
    document = ForeignKeyField(Document, backref="lines", on_delete="CASCADE", index=False)
    position = IntegerField()
    item = ForeignKeyField(Item, backref="lines", on_delete="RESTRICT")
    quantity = QuantityField()
    price = DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), auto_round=True)

    class Meta:
        table_name = "doc_line"
        indexes = ((("document", "position"), True),)


class LineSerial(BaseModel):
    """The serial numbers entered on a document line, as the operator entered them."""

    line = ForeignKeyField(Line, backref="serials", on_delete="CASCADE", index=False)
    code = CharField(max_length=100)

    class Meta:
        table_name = "doc_line_serial"
        indexes = ((("line", "code"), True),)


IN_STOCK = "in_stock"
ISSUED = "issued"
REMOVED = "removed"  # its only receipt was deleted: known, never in stock now
SERIAL_STATUSES = (IN_STOCK, ISSUED, REMOVED)


class Serial(BaseModel):
    """One serial number of one item, and where it is now (derived from its ledger)."""

    item = ForeignKeyField(Item, backref="serials", on_delete="RESTRICT", index=False)
    code = CharField(max_length=100)
    status = CharField(max_length=10, default=IN_STOCK)
    # In stock: where it is. Issued: the warehouse it left from.
    warehouse = ForeignKeyField(Warehouse, null=True, backref="serials", on_delete="RESTRICT", index=False)
    received_at = DateTimeField(null=True)  # schema 2

    class Meta:
        table_name = "serial_number"
        indexes = (
            (("item", "code"), True),
            (("code",), False),
            (("status", "code"), False),
            (("warehouse", "code"), False),
        )


# Ledger entry states
EFFECTIVE = 0  # a movement that stands
REVERSED = 1  # a movement undone by an edit or a deletion
REVERSAL = 2  # the entry recording that undoing


class Ledger(BaseModel):
    """Every movement of every serial: receipts and issues, transfers (an out and an in), and
    the reversal of a movement when its document is edited or deleted."""

    serial = ForeignKeyField(Serial, backref="ledger", on_delete="CASCADE", index=False)
    document = ForeignKeyField(Document, null=True, backref="movements", on_delete="SET NULL", index=False)
    doc_number = CharField(max_length=32)
    doc_kind = CharField(max_length=20)
    line_position = IntegerField()
    direction = SmallIntegerField()  # +1 into the warehouse, -1 out of it
    warehouse = ForeignKeyField(Warehouse, backref="movements", on_delete="RESTRICT")
    at = DateTimeField(default=utcnow)
    operator = CharField(max_length=100, default="")
    state = SmallIntegerField(default=EFFECTIVE)

    class Meta:
        indexes = (
            (("serial", "state", "id"), False),
            (("document", "state"), False),
        )


class Stock(BaseModel):
    """Quantity on hand per item and warehouse."""

    item = ForeignKeyField(Item, backref="stock", on_delete="RESTRICT", index=False)
    warehouse = ForeignKeyField(Warehouse, backref="stock", on_delete="RESTRICT")
    quantity = QuantityField(default=0)

    class Meta:
        indexes = ((("item", "warehouse"), True),)


class Draft(BaseModel):
    """A document an operator is editing and has not saved yet, kept as they work (schema 3)."""

    operator = CharField(max_length=100, index=True)
    kind = CharField(max_length=20)
    number = CharField(max_length=32, null=True)  # the saved document being edited, if any
    payload = TextField()  # the document as JSON (store.drafts)
    updated_at = DateTimeField(default=utcnow)


class ApiToken(BaseModel):
    """A bearer token of the HTTP API (schema 4). Only the SHA-256 of its secret is stored; the name is
    the operator recorded on what the token saves. Revoked tokens stay, marked, for the record."""

    name = CharField(max_length=100)
    secret_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "api_token"


# One active token per name; a revoked name may be given a new token.
ApiToken.add_index(ApiToken.index(ApiToken.name, unique=True, where=ApiToken.revoked_at.is_null(True)))


class IdempotencyKey(BaseModel):
    """The first answer to an HTTP POST sent with an Idempotency-Key header (schema 4), per token name:
    a retry with the same key and the same request gets that answer again instead of doing the work twice."""

    scope = CharField(max_length=100)  # the token's name
    key = CharField(max_length=200)
    request_hash = CharField(max_length=64)
    status = IntegerField()
    response = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "idempotency_key"
        indexes = ((("scope", "key"), True), (("created_at",), False))


ALL_MODELS = [Setting, Item, Warehouse, Partner, Counter, Document, Line, LineSerial, Serial, Ledger, Stock, Draft,
              ApiToken, IdempotencyKey]
