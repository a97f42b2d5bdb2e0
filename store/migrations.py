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
  7  draft.holder_host, holder_pid, heartbeat_at: the process editing a draft, so that a draft still
     open in another live session is not offered as abandoned (store.drafts)
  8  ledger.doc_date (the document's date, the business date, beside the UTC save time), and on
     serial_number the traceability kept from the ledger: moved_on, received_on, received_from_id,
     issued_on, issued_to_id, indexed by partner and date
  9  stock counts: stock_count, stock_count_item, stock_count_scan (store.counts), and
     doc_line.from_warehouse_id for the stock adjustments that posting a count makes
  10 roles (store.rights): app_user (login users and their roles), audit_log (changes to users and tokens),
     api_token.role (tokens made before become admin, so that nothing they did breaks) and
     api_token.warehouse_id (the one warehouse a token may read and move)
  11 doc_line_serial.lot and doc_line_serial.expiry: the lot (AI 10) and expiry date (AI 17) a GS1 scan
     of the serial carried, kept with that serial on that document line (empty for serials before)
"""

from __future__ import annotations

from peewee import CharField, DateField, DateTimeField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from .db import db, is_sqlite
from .errors import DatabaseError
from .models import ALL_MODELS, ApiToken, AuditEntry, IdempotencyKey, Setting, User, Warehouse

SCHEMA_VERSION = 11
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


DRAFT_HOLDER_COLUMNS = (("holder_host", CharField(max_length=255, null=True)),
                        ("holder_pid", IntegerField(null=True)), ("heartbeat_at", DateTimeField(null=True)))


def _to_7() -> None:
    # step 3 creates the draft table from today's model, holder columns included: add only what is missing
    have = {c.name for c in db.get_columns("draft")}
    missing = [(name, field) for name, field in DRAFT_HOLDER_COLUMNS if name not in have]
    if missing:
        migrate(*[_migrator().add_column("draft", name, field) for name, field in missing])


def _to_8() -> None:
    from .documents import _recompute_serials

    m = _migrator()
    columns = (("ledger", "doc_date", DateField), ("serial_number", "moved_on", DateField),
               ("serial_number", "received_on", DateField), ("serial_number", "received_from_id", IntegerField),
               ("serial_number", "issued_on", DateField), ("serial_number", "issued_to_id", IntegerField))
    have = {(t, c.name) for t in ("ledger", "serial_number") for c in db.get_columns(t)}
    indexes = {tuple(ix.columns) for ix in db.get_indexes("serial_number")}
    migrate(*[m.add_column(t, c, f(null=True)) for t, c, f in columns if (t, c) not in have],
            *[m.add_index("serial_number", cols, False) for cols in (("received_from_id", "received_on"),
                                                                     ("issued_to_id", "issued_on"))
              if cols not in indexes])
    # Movements of documents deleted before schema 8 keep only the day they were saved.
    db.execute_sql("UPDATE ledger SET doc_date = COALESCE((SELECT d.date FROM document d WHERE d.id = ledger.document_id), "
                   + ("date(at)" if is_sqlite() else "CAST(at AS date)") + ")")
    last = 0
    while True:
        ids = [r[0] for r in db.execute_sql(
            f"SELECT id FROM serial_number WHERE id > {int(last)} ORDER BY id LIMIT 5000").fetchall()]
        if not ids:
            break
        _recompute_serials(ids)
        last = ids[-1]


def _to_10() -> None:
    from peewee import ForeignKeyField

    db.create_tables([User, AuditEntry], safe=True)
    # step 4 creates api_token from today's model, these columns included: add only what is missing
    have = {c.name for c in db.get_columns("api_token")}
    m = _migrator()
    columns = []
    if "role" not in have:  # every token made before roles existed may go on doing everything
        columns.append(m.add_column("api_token", "role", CharField(max_length=10, default="admin")))
    if "warehouse_id" not in have:
        columns.append(m.add_column("api_token", "warehouse_id", ForeignKeyField(
            Warehouse, field=Warehouse.id, null=True, on_delete="RESTRICT")))
    if columns:
        migrate(*columns)
    db.execute_sql("UPDATE api_token SET role = 'admin' WHERE role IS NULL")


def _to_11() -> None:
    have = {c.name for c in db.get_columns("doc_line_serial")}
    m = _migrator()
    columns = [m.add_column("doc_line_serial", name, f) for name, f in
               (("lot", CharField(max_length=20, null=True)), ("expiry", DateField(null=True))) if name not in have]
    if columns:
        migrate(*columns)


def _count_collation() -> None:
    """PostgreSQL: scanned serials compare byte by byte, as serial_number.code does (step 5)."""
    if not is_sqlite():
        db.execute_sql('ALTER TABLE stock_count_scan ALTER COLUMN code TYPE varchar(100) COLLATE "C"')


def _to_9() -> None:
    from peewee import ForeignKeyField

    from .models import StockCount, StockCountItem, StockCountScan

    if "from_warehouse_id" not in {c.name for c in db.get_columns("doc_line")}:
        migrate(_migrator().add_column("doc_line", "from_warehouse_id",
                                       ForeignKeyField(Warehouse, null=True, field=Warehouse.id, on_delete="RESTRICT")))
        db.execute_sql("DROP INDEX IF EXISTS doc_line_from_warehouse_id")  # a new database has none (models.Line)
    db.create_tables([StockCount, StockCountItem, StockCountScan], safe=True)
    _count_collation()


STEPS = {2: _to_2, 3: _to_3, 4: _to_4, 5: _to_5, 6: _drop_per_serial_foreign_keys, 7: _to_7, 8: _to_8,
         9: _to_9, 10: _to_10, 11: _to_11}


def schema_version() -> int | None:
    """The schema step the database is at (an int, see SCHEMA_VERSION), or None for a database without
    the serialstock tables.
    """
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
            tables = {t for t in db.get_tables() if not t.startswith("sqlite_")}
            if tables & {m._meta.table_name for m in ALL_MODELS}:
                raise DatabaseError("The database has serialstock tables but no schema version; it cannot be used.")
            if tables:
                raise DatabaseError(
                    f"The database holds {len(tables)} table(s) of another program ({', '.join(sorted(tables)[:3])}"
                    f"{', ...' if len(tables) > 3 else ''}) and no serialstock schema; serialstock adds nothing "
                    "to it. Give --db (or $SERIALSTOCK_DB) a new file or an empty database.")
            db.create_tables(ALL_MODELS, safe=True)
            _bytewise_collation()
            _count_collation()
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
