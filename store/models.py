"""The tables. Declarative only: the rules live in the service modules beside them."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum

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
        """A quantity (Decimal, int or text) as stored: an integer of thousandths, rounded half even."""
        if value is None:
            return None
        return int((Decimal(value) * self.SCALE).to_integral_value())

    def python_value(self, value):
        """A stored integer of thousandths as a Decimal quantity (trailing zeros dropped)."""
        if value is None:
            return None
        return (Decimal(int(value)) / self.SCALE).normalize() + Decimal(0)


def to_milli(q: Decimal) -> int:
    """A quantity as thousandths (int), as the stock and line tables store it."""
    return QuantityField().db_value(q)


def from_milli(v: int) -> Decimal:
    """Thousandths (int) as a quantity (Decimal)."""
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
    """A price-list item: code, name, unit, EAN/GTIN (8, 12, 13 or 14 digits), unit price, and whether
    its stock is tracked by serial number.
    """
    code = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    unit = CharField(max_length=16, default="pcs")
    ean = CharField(max_length=14, null=True, unique=True)
    price = DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), auto_round=True)
    tracked = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class Warehouse(BaseModel):
    """A warehouse: code, name, and whether it is the default one."""
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200)
    is_default = BooleanField(default=False)


class Partner(BaseModel):
    """A supplier or customer: code and name."""
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
    """A saved document (see store.documents.KINDS): number, kind, date, warehouses, partner, note, who
    saved it, its version, and the invoice it was generated from (``source``).
    """
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
    """A document line: position, item, quantity (thousandths), unit price; a stock adjustment's line may
    name the warehouse it brings serials from.
    """
    document = ForeignKeyField(Document, backref="lines", on_delete="CASCADE", index=False)
    position = IntegerField()
    item = ForeignKeyField(Item, backref="lines", on_delete="RESTRICT")
    quantity = QuantityField()
    price = DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), auto_round=True)
    # Stock adjustments only (schema 9): the warehouse a line brings serials from (held there when they
    # were counted elsewhere); the line then moves them from there into the document's warehouse.
    # Without it an adjustment's line moves into (quantity above 0) or out of (below 0) that warehouse.
    from_warehouse = ForeignKeyField(Warehouse, null=True, on_delete="RESTRICT", index=False)

    class Meta:
        table_name = "doc_line"
        indexes = ((("document", "position"), True),)


class LineSerial(BaseModel):
    """The serial numbers entered on a document line, as the operator entered them."""

    line = ForeignKeyField(Line, backref="serials", on_delete="CASCADE", index=False)
    code = CharField(max_length=100)
    # what a GS1 scan of the serial said besides (schema 11); never required, none for a typed serial
    lot = CharField(max_length=20, null=True)  # AI 10, batch/lot number
    expiry = DateField(null=True)  # AI 17, expiration date

    class Meta:
        table_name = "doc_line_serial"
        indexes = ((("line", "code"), True),)


class SerialStatus(StrEnum):
    """Where a serial is, as serial_number.status stores it (the value), with the words every front end
    shows for it (``label``, ``where``)."""

    IN_STOCK = "in_stock"
    ISSUED = "issued"
    REMOVED = "removed"  # its only receipt was deleted: known, never in stock now

    @property
    def label(self) -> str:
        """"in stock" | "issued" | "removed" (a list's column, an export's cell)."""
        return self.value.replace("_", " ")

    def where(self, warehouse: str | None) -> str:
        """The status with its warehouse: "in stock in MAIN", "issued from MAIN",
        "not in stock (receipt deleted)"."""
        if self is SerialStatus.IN_STOCK:
            return f"in stock in {warehouse or '?'}"
        if self is SerialStatus.ISSUED:
            return f"issued from {warehouse or '?'}"
        return "not in stock (receipt deleted)"


IN_STOCK, ISSUED, REMOVED = SerialStatus.IN_STOCK, SerialStatus.ISSUED, SerialStatus.REMOVED
SERIAL_STATUSES = tuple(s.value for s in SerialStatus)


class Serial(BaseModel):
    """One serial number of one item, and where it is now (derived from its ledger)."""

    item = ForeignKeyField(Item, backref="serials", on_delete="RESTRICT", index=False)
    code = CharField(max_length=100)
    status = CharField(max_length=10, default=IN_STOCK)
    # In stock: where it is. Issued: the warehouse it left from.
    warehouse = ForeignKeyField(Warehouse, null=True, backref="serials", on_delete="RESTRICT", index=False)
    received_at = DateTimeField(null=True)  # schema 2
    # Schema 7, kept with status and warehouse from the ledger and the documents' dates and partners:
    moved_on = DateField(null=True)  # the date of the document of its latest standing movement
    # its latest standing goods receipt (a supplier's delivery or a customer's return; not a transfer)
    received_on = DateField(null=True)
    received_from = IntegerField(null=True, column_name="received_from_id")  # a partner's id
    # its standing goods issue after that receipt, if any (cleared when it is received again)
    issued_on = DateField(null=True)
    issued_to = IntegerField(null=True, column_name="issued_to_id")  # a partner's id

    class Meta:
        table_name = "serial_number"
        indexes = (
            (("item", "code"), True),
            (("code",), False),
            (("status", "code"), False),
            (("warehouse", "code"), False),
            (("received_from", "received_on"), False),  # schema 7
            (("issued_to", "issued_on"), False),  # schema 7
        )


class LedgerState(IntEnum):
    """A ledger entry's state, as ledger.state stores it (the value), with its names: ``label`` for
    APIs and exports, ``movement`` for the history lines of the screens."""

    EFFECTIVE = 0  # a movement that stands
    REVERSED = 1  # a movement undone by an edit or a deletion
    REVERSAL = 2  # the entry recording that undoing

    @property
    def label(self) -> str:
        """"effective" | "reversed" | "reversal"."""
        return self.name.lower()

    def movement(self, direction: int) -> str:
        """A history line's word for a movement in this state: "in" / "out" (``direction`` +1 / -1),
        "in (undone)" / "out (undone)" for a reversed one, "undo" for the reversal."""
        word = "in" if direction > 0 else "out"
        if self is LedgerState.REVERSED:
            return f"{word} (undone)"
        if self is LedgerState.REVERSAL:
            return "undo"
        return word


EFFECTIVE, REVERSED, REVERSAL = LedgerState.EFFECTIVE, LedgerState.REVERSED, LedgerState.REVERSAL


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
    at = DateTimeField(default=utcnow)  # when it was saved (UTC)
    doc_date = DateField(null=True)  # the document's own date, the business date (schema 7)
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
    # The process editing it (schema 7): host name and process id, and when it last said it is alive
    # (store.drafts.HEARTBEAT_SECONDS). A draft whose holder is alive is not offered as abandoned.
    holder_host = CharField(max_length=255, null=True)
    holder_pid = IntegerField(null=True)
    heartbeat_at = DateTimeField(null=True)


class ApiToken(BaseModel):
    """A bearer token of the HTTP API (schema 4). Only the SHA-256 of its secret is stored; the name is
    the operator recorded on what the token saves. Revoked tokens stay, marked, for the record."""

    name = CharField(max_length=100)
    secret_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    # schema 10: what the token may do (store.rights.ROLES), and the one warehouse it may read and move
    # (None: every warehouse). Tokens made before schema 10 became admin, so nothing they did broke.
    role = CharField(max_length=10, default="admin")
    warehouse = ForeignKeyField(Warehouse, null=True, on_delete="RESTRICT", column_name="warehouse_id")

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


class User(BaseModel):
    """A login user and their role (schema 10; store.users). No users: single-user mode, everything allowed."""

    name = CharField(max_length=100, unique=True)
    role = CharField(max_length=10)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "app_user"


class AuditEntry(BaseModel):
    """A change to users or tokens (schema 10): who made it, when, and what it was."""

    at = DateTimeField(default=utcnow)
    actor = CharField(max_length=100)  # who made the change (a login user, or an admin acting as one)
    action = CharField(max_length=30)  # user_add, user_set, user_remove, token_create, token_revoke
    subject = CharField(max_length=100)  # the user or token changed
    detail = TextField(default="")

    class Meta:
        table_name = "audit_log"


OPEN = "open"
POSTED = "posted"
CANCELLED = "cancelled"
COUNT_STATUSES = (OPEN, POSTED, CANCELLED)


class StockCount(BaseModel):
    """A count of one warehouse's stock (schema 9), of every item or of the items in stock_count_item.
    Posting it makes a stock adjustment (a Document of kind "adjustment") that moves stock to what
    was counted; the count keeps that document's number after it is deleted."""

    number = CharField(max_length=32, unique=True)
    year = IntegerField()
    seq = IntegerField()
    warehouse = ForeignKeyField(Warehouse, backref="counts", on_delete="RESTRICT")
    status = CharField(max_length=10, default=OPEN)
    note = TextField(default="")
    operator = CharField(max_length=100, default="")  # who opened it
    started_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)  # posted or cancelled
    closed_by = CharField(max_length=100, default="")
    adjustment = ForeignKeyField(Document, null=True, backref="counts", on_delete="SET NULL")
    adjustment_number = CharField(max_length=32, null=True)  # kept when the adjustment is deleted

    class Meta:
        table_name = "stock_count"


class StockCountItem(BaseModel):
    """The items a count covers, when it does not cover all."""

    count = ForeignKeyField(StockCount, backref="items", on_delete="CASCADE", index=False)
    item = ForeignKeyField(Item, on_delete="RESTRICT")

    class Meta:
        table_name = "stock_count_item"
        indexes = ((("count", "item"), True),)


class StockCountScan(BaseModel):
    """One entry of a count, written as it is made: a scanned serial (code set, quantity 1) or a typed
    quantity of an untracked item (code NULL, quantity added, negative to correct). A serial's row keeps
    its state when it was scanned (serial id, status, warehouse), so that posting can tell it moved since."""

    count = ForeignKeyField(StockCount, backref="scans", on_delete="CASCADE", index=False)
    item = ForeignKeyField(Item, on_delete="RESTRICT", index=False)
    code = CharField(max_length=100, null=True)
    quantity = QuantityField(default=1)
    serial_id = IntegerField(null=True)  # the serial row, None when the serial was unknown for the item
    seen_status = CharField(max_length=10, null=True)
    seen_warehouse_id = IntegerField(null=True)
    operator = CharField(max_length=100, default="")
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "stock_count_scan"
        indexes = (
            (("count", "item", "code"), True),  # a serial once per count (NULL codes are distinct)
            (("count", "serial_id"), False),
        )


ALL_MODELS = [Setting, Item, Warehouse, Partner, Counter, Document, Line, LineSerial, Serial, Ledger, Stock, Draft,
              ApiToken, IdempotencyKey, User, AuditEntry, StockCount, StockCountItem, StockCountScan]
