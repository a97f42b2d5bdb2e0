"""Schema version and in-place upgrades.

A new database is created at SCHEMA_VERSION. An older one is upgraded step by step with
peewee's migrator inside one transaction, keeping its data. A newer one is refused.

History
  1  the first schema
  2  serial_number.received_at: when the serial last came into stock (the oldest are picked first)
  3  draft: unsaved documents kept as the operator works, offered again at the next start
  4  api_token (HTTP API bearer tokens, hashed) and idempotency_key (first answers to retried POSTs)
  5  no index of its own on a foreign key that leads a composite index; on PostgreSQL, serial codes
     and statuses compare byte by byte (COLLATE "C"): the same order as SQLite's, prefix searches
     served by the index, and bulk inserts about a third faster than under the server's locale
  6  PostgreSQL: no foreign-key constraints on the rows written once per serial (serial_number,
     ledger, doc_line_serial); see PER_SERIAL_FOREIGN_KEYS
"""

from __future__ import annotations

from peewee import DateTimeField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from .db import db, is_sqlite
from .errors import DatabaseError
from .models import ALL_MODELS, ApiToken, IdempotencyKey, Setting, Warehouse

SCHEMA_VERSION = 6
VERSION_KEY = "schema_version"


def _migrator():
    return SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)


def _to_2() -> None:
    migrate(_migrator().add_column("serial_number", "received_at", DateTimeField(null=True)))
    db.execute_sql(
        "UPDATE serial_number SET received_at = (SELECT max(l.at) FROM ledger l "
        "WHERE l.serial_id = serial_number.id AND l.state = 0 AND l.direction > 0)"
    )


def _to_3() -> None:
    from .models import Draft

    db.create_tables([Draft], safe=True)


def _to_4() -> None:
    db.create_tables([ApiToken, IdempotencyKey], safe=True)


# Indexes the first schemas made for foreign keys that lead a composite index (see models.BaseModel).
REDUNDANT_INDEXES = ("document_kind", "doc_line_document_id", "doc_line_serial_line_id", "serial_number_item_id",
                     "serial_number_warehouse_id", "ledger_serial_id", "ledger_document_id", "stock_item_id")
# PostgreSQL: text columns compared byte by byte, as SQLite's BINARY collation does.
BYTEWISE_COLUMNS = (("serial_number", "code", 100), ("serial_number", "status", 10), ("doc_line_serial", "code", 100))


def _bytewise_collation() -> None:
    if is_sqlite():
        return
    for table, column, length in BYTEWISE_COLUMNS:
        db.execute_sql(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C"')


def _to_5() -> None:
    for name in REDUNDANT_INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    _bytewise_collation()


# PostgreSQL checks a foreign key row by row, locking the row it points at (FOR KEY SHARE). On the
# tables written once per serial that is most of the cost of receiving or importing serials, and the
# few rows every save points at (the item, the warehouse) become a queue of lock holders shared by
# every concurrent save. What these keys guarded holds without them:
# - serial_number.item_id / warehouse_id: a serial is written in the transaction that writes a line of
#   that item (doc_line.item_id keeps its key) and a document of that warehouse (document keeps its
#   keys), so an item or warehouse cannot be deleted under it;
# - ledger.serial_id: serials are never deleted; ledger.document_id and doc_line_serial.line_id: written
#   with their document and line; deleting a document detaches its ledger rows and deletes its lines'
#   serials itself (store.documents) instead of leaving that to ON DELETE;
# - ledger.warehouse_id: the document's warehouse, as above.
# `serialstock check` looks for rows pointing nowhere. SQLite keeps these keys (they cost little there).
PER_SERIAL_FOREIGN_KEYS = (("serial_number", "item_id"), ("serial_number", "warehouse_id"), ("ledger", "serial_id"),
                           ("ledger", "document_id"), ("ledger", "warehouse_id"), ("doc_line_serial", "line_id"))


def _drop_per_serial_foreign_keys() -> None:
    if is_sqlite():
        return
    for table, column in PER_SERIAL_FOREIGN_KEYS:
        db.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_fkey")


STEPS = {2: _to_2, 3: _to_3, 4: _to_4, 5: _to_5, 6: _drop_per_serial_foreign_keys}


def schema_version() -> int | None:
    if "setting" not in db.get_tables():
        return None
    row = Setting.get_or_none(Setting.key == VERSION_KEY)
    return int(row.value) if row else None


def _set_version(v: int) -> None:
    Setting.insert(key=VERSION_KEY, value=str(v)).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: str(v)}
    ).execute()


def ensure_schema() -> int:
    """Create or upgrade the schema; returns the version now in place."""
    with db.atomic():
        version = schema_version()
        if version is None:
            if set(db.get_tables()) & {m._meta.table_name for m in ALL_MODELS}:
                raise DatabaseError("The database has serialstock tables but no schema version; it cannot be used.")
            db.create_tables(ALL_MODELS, safe=True)
            _bytewise_collation()
            _drop_per_serial_foreign_keys()
            _set_version(SCHEMA_VERSION)
            if not Warehouse.select().exists():
                Warehouse.create(code="MAIN", name="Main warehouse", is_default=True)
            return SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"This database has schema version {version}, newer than this serialstock "
                f"understands ({SCHEMA_VERSION}). Upgrade serialstock before opening it."
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            STEPS[step]()
            _set_version(step)
        return SCHEMA_VERSION
