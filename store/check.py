"""`serialstock check`: verify the invariants of the stock, whole-database, in a few aggregate queries.

- For tracked items, stock per item and warehouse equals the number of its serials in stock there.
- Every in-stock serial's latest movement is a receipt into the warehouse it is in; every issued
  serial's latest is an issue; a serial whose receipt was deleted has no standing movement.
- No stock is negative.
- Each serial's standing movements follow the order of their documents' dates, and the serial's
  date of its latest movement is that of its latest standing movement.
- Stock equals the net of the goods receipts, goods issues, transfers and stock adjustments on record.
- Every stock document's serials are exactly its standing movements; no line holds more or fewer
  serials than its quantity.
- No serial, movement or entered serial points at an item, warehouse, serial, document or line that
  does not exist (on PostgreSQL these are kept by the services, not by foreign keys: schema 6).
"""

from __future__ import annotations

from .db import run_sql
from .models import EFFECTIVE, IN_STOCK, ISSUED, REMOVED, from_milli

LIMIT = 50  # problems listed per kind; the count says how many there are


def _q(sql: str, params=()):
    return run_sql(sql, params).fetchall()


def _names():
    items = dict(_q("SELECT id, code FROM item"))
    whs = dict(_q("SELECT id, code FROM warehouse"))
    return items, whs


def check() -> list[str]:
    """Every problem found, as sentences; an empty list means the database is consistent."""
    problems: list[str] = []
    items, whs = _names()

    def add(kind: str, rows, fmt):
        for row in rows[:LIMIT]:
            problems.append(fmt(row))
        if len(rows) > LIMIT:
            problems.append(f"... and {len(rows) - LIMIT} more {kind} problems")

    in_stock_counts = (f"SELECT item_id, warehouse_id, COUNT(*) AS n FROM serial_number "
                       f"WHERE status = '{IN_STOCK}' GROUP BY item_id, warehouse_id")
    rows = _q(f"SELECT s.item_id, s.warehouse_id, s.quantity, COALESCE(c.n, 0) FROM stock s "
              f"JOIN item i ON i.id = s.item_id LEFT JOIN ({in_stock_counts}) c "
              f"ON c.item_id = s.item_id AND c.warehouse_id = s.warehouse_id "
              f"WHERE i.tracked = ? AND s.quantity <> COALESCE(c.n, 0) * 1000", (True,))
    rows += _q(f"SELECT c.item_id, c.warehouse_id, 0, c.n FROM ({in_stock_counts}) c LEFT JOIN stock s "
               f"ON c.item_id = s.item_id AND c.warehouse_id = s.warehouse_id WHERE s.id IS NULL")
    add("stock/serial", rows, lambda r: (
        f"{items.get(r[0])} in {whs.get(r[1])}: stock {from_milli(r[2])} but {r[3]} serials in stock"))

    rows = _q(f"SELECT s.code, s.item_id, i.tracked FROM serial_number s JOIN item i ON i.id = s.item_id "
              f"WHERE s.status = '{IN_STOCK}' AND i.tracked = ?", (False,))
    add("untracked", rows, lambda r: f"{items.get(r[1])}: serial {r[0]} in stock but the item is not tracked")

    # one pass over each serial's latest standing movement: its status, place and date
    wrong_place = (f"(s.status = '{IN_STOCK}' AND (l.id IS NULL OR l.direction <> 1 OR s.warehouse_id IS NULL "
                   "OR l.warehouse_id <> s.warehouse_id)) "
                   f"OR (s.status = '{ISSUED}' AND (l.id IS NULL OR l.direction <> -1)) "
                   f"OR (s.status = '{REMOVED}' AND l.id IS NOT NULL) "
                   f"OR s.status NOT IN ('{IN_STOCK}', '{ISSUED}', '{REMOVED}')")
    rows = _q(
        f"SELECT s.code, s.item_id, s.status, s.warehouse_id, l.direction, l.warehouse_id, l.doc_number, "
        f"CASE WHEN {wrong_place} THEN 1 ELSE 0 END, s.moved_on, l.doc_date "
        "FROM serial_number s LEFT JOIN (SELECT serial_id, MAX(id) AS m FROM ledger "
        f"WHERE state = {EFFECTIVE} GROUP BY serial_id) x ON x.serial_id = s.id "
        "LEFT JOIN ledger l ON l.id = x.m "
        f"WHERE {wrong_place} OR (l.id IS NOT NULL AND (s.moved_on IS NULL OR s.moved_on <> l.doc_date))")

    def ledger_msg(r):
        code, item, status, wh, d, lwh, number, place, moved_on, doc_date = r
        if not place:
            return (f"{items.get(item)}: serial {code} last moved on {str(moved_on)[:10]} but its latest movement "
                    f"is dated {str(doc_date)[:10]}")
        last = "no standing movement" if d is None else (
            f"last movement {'in to' if d > 0 else 'out of'} {whs.get(lwh)} by {number}")
        return f"{items.get(item)}: serial {code} is {status} ({whs.get(wh)}) but its ledger shows {last}"
    add("ledger", rows, ledger_msg)

    rows = _q("SELECT s.code, s.item_id, l.doc_number, l.doc_date, l.prev_number, l.prev_date FROM ("
              "SELECT serial_id, doc_number, doc_date, LAG(doc_number) OVER w AS prev_number, "
              "LAG(doc_date) OVER w AS prev_date FROM ledger "
              # only serials moved more than once (a quick pass over the index) can be out of order
              f"WHERE state = {EFFECTIVE} AND serial_id IN (SELECT serial_id FROM ledger WHERE state = {EFFECTIVE} "
              "GROUP BY serial_id HAVING COUNT(*) > 1) WINDOW w AS (PARTITION BY serial_id ORDER BY id)) l "
              "JOIN serial_number s ON s.id = l.serial_id WHERE l.doc_date < l.prev_date")
    add("date order", rows, lambda r: (
        f"{items.get(r[1])}: serial {r[0]} moved by {r[2]} dated {str(r[3])[:10]} after {r[4]} dated "
        f"{str(r[5])[:10]}: its movements are not in the order of their dates"))

    rows = _q("SELECT item_id, warehouse_id, quantity FROM stock WHERE quantity < 0")
    add("negative", rows, lambda r: f"{items.get(r[0])} in {whs.get(r[1])}: negative stock {from_milli(r[2])}")

    moved = ("SELECT item_id, wh, SUM(q) AS q FROM ("
             "SELECT l.item_id, d.warehouse_id AS wh, CASE WHEN d.kind = 'receipt' THEN l.quantity ELSE -l.quantity END AS q "
             "FROM doc_line l JOIN document d ON d.id = l.document_id WHERE d.kind IN ('receipt', 'issue', 'transfer') "
             "UNION ALL SELECT l.item_id, d.to_warehouse_id, l.quantity FROM doc_line l "
             "JOIN document d ON d.id = l.document_id WHERE d.kind = 'transfer' "
             # a stock adjustment: signed quantities into or out of its warehouse, or from another one into it
             "UNION ALL SELECT l.item_id, d.warehouse_id, CASE WHEN l.from_warehouse_id IS NULL THEN l.quantity "
             "ELSE ABS(l.quantity) END FROM doc_line l JOIN document d ON d.id = l.document_id WHERE d.kind = 'adjustment' "
             "UNION ALL SELECT l.item_id, l.from_warehouse_id, -ABS(l.quantity) FROM doc_line l "
             "JOIN document d ON d.id = l.document_id WHERE d.kind = 'adjustment' AND l.from_warehouse_id IS NOT NULL"
             ") m GROUP BY item_id, wh")
    rows = _q(f"SELECT s.item_id, s.warehouse_id, s.quantity, COALESCE(m.q, 0) FROM stock s LEFT JOIN ({moved}) m "
              "ON m.item_id = s.item_id AND m.wh = s.warehouse_id WHERE s.quantity <> COALESCE(m.q, 0)")
    rows += _q(f"SELECT m.item_id, m.wh, 0, m.q FROM ({moved}) m LEFT JOIN stock s "
               "ON m.item_id = s.item_id AND m.wh = s.warehouse_id WHERE s.id IS NULL AND m.q <> 0")
    add("documents", rows, lambda r: (
        f"{items.get(r[0])} in {whs.get(r[1])}: stock {from_milli(r[2])} but the documents add up to {from_milli(r[3])}"))

    rows = _q("SELECT d.number, l.position, l.quantity, c.n FROM doc_line l JOIN document d ON d.id = l.document_id "
              "JOIN (SELECT line_id, COUNT(*) AS n FROM doc_line_serial GROUP BY line_id) c ON c.line_id = l.id "
              "WHERE ABS(l.quantity) <> c.n * 1000")
    add("line", rows, lambda r: f"{r[0]} line {r[1]}: {r[3]} serial numbers for quantity {from_milli(r[2])}")

    per_doc_serials = ("SELECT document_id, SUM(n) AS n FROM (SELECT l.document_id, "
                       "CASE WHEN d.kind = 'transfer' OR l.from_warehouse_id IS NOT NULL THEN 2 ELSE 1 END AS n "
                       "FROM doc_line_serial ls JOIN doc_line l ON l.id = ls.line_id JOIN document d ON d.id = l.document_id "
                       "WHERE d.kind IN ('receipt', 'issue', 'transfer', 'adjustment')) x GROUP BY document_id")
    per_doc_moves = f"SELECT document_id, COUNT(*) AS n FROM ledger WHERE state = {EFFECTIVE} GROUP BY document_id"
    rows = _q(f"SELECT d.number, COALESCE(a.n, 0), COALESCE(b.n, 0) FROM document d "
              f"LEFT JOIN ({per_doc_serials}) a ON a.document_id = d.id LEFT JOIN ({per_doc_moves}) b ON b.document_id = d.id "
              f"WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0)")
    add("movement", rows, lambda r: f"{r[0]}: {r[1]} serial movements entered but {r[2]} on the ledger")
    orphan = _q(f"SELECT COUNT(*) FROM ledger WHERE state = {EFFECTIVE} AND document_id IS NULL")[0][0]
    if orphan:
        problems.append(f"{orphan} standing ledger movements belong to no document")
    for table, column, parent, what in DANGLING:
        n = _q(f"SELECT COUNT(*) FROM {table} t WHERE t.{column} IS NOT NULL "
               f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = t.{column})")[0][0]
        if n:
            problems.append(f"{n} rows of {table} point at {what} that does not exist ({column})")
    return problems


# (table, column, the table it points at, what that is): see store.migrations.PER_SERIAL_FOREIGN_KEYS
DANGLING = (("serial_number", "item_id", "item", "an item"), ("serial_number", "warehouse_id", "warehouse", "a warehouse"),
            ("ledger", "serial_id", "serial_number", "a serial"), ("ledger", "document_id", "document", "a document"),
            ("ledger", "warehouse_id", "warehouse", "a warehouse"), ("doc_line_serial", "line_id", "doc_line", "a line"))
