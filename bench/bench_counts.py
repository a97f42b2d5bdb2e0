"""Benchmark of stock counts (store.counts) beside raw sqlite3 running the same statements, run by hand.

    .venv/bin/python bench/bench_counts.py            # 1,000,000 serials in stock, a count of 100,000
    .venv/bin/python bench/bench_counts.py --quick    # 100,000 serials in stock, a count of 10,000

What it does
  1. Creates the database with store.db.connect (the store's own schema), then fills it with sqlite3
     executemany in the shape the store writes: ``--items`` tracked items, one goods receipt per item of
     all its serials into MAIN (doc_line, doc_line_serial, serial_number in stock, an EFFECTIVE ledger
     row, stock), ``--serials`` in all; plus 500 serials of the counted item in warehouse B. check() must be [].
  2. Opens a count of MAIN for the first item (``--serials`` / ``--items`` of them in stock there) and scans
     all of them but 1,000 (missing), plus 250 serials held by B and 250 unknown codes (extra): each
     scan_serial timed. Baseline: the same statements on a raw connection (BEGIN IMMEDIATE; the count by
     number; its items; the serial rows of the code with their item; the earlier scan; INSERT; COMMIT)
     into a second count, so that both write the same rows into tables of the same size.
  3. The missing and extra figures: get_count (per item), missing_serials and extra_serials (all of them).
     Baseline: the same aggregate and anti-join SELECTs, raw.
  4. post_count: the adjustment of 1,000 missing out, 250 moved from B, 250 received. Baseline, for scale:
     the rows a posting writes (document, lines, their serials, serial updates by id, ledger rows, stock),
     raw, in one transaction (on a copy of the same state: the second count).
  5. check() after all the writes: must still be [].

Targets (issue 15): each scan < 5 ms at p99; the missing and extra figures < 1 s; posting < 3 s.
The SQLite file is bench/bench_counts_<serials>.db (bench/*.db is git-ignored), deleted unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from store import db as dbm  # noqa: E402
from store.check import check  # noqa: E402
from store.counts import extra_serials, get_count, missing_serials, open_count, post_count, scan_serial  # noqa: E402

MISSING = 1000
FROM_B = 250
UNKNOWN = 250


def say(*a) -> None:
    print(*a, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def fill(path: Path, serials: int, items: int) -> None:
    dbm.connect(f"sqlite:///{path}")
    dbm.db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=off")
    conn.execute("BEGIN")
    now, today = str(dt.datetime(2026, 1, 1, 8)), "2026-01-01"
    per = serials // items
    conn.executemany("INSERT INTO item (code, name, unit, price, tracked, created_at) VALUES (?, ?, 'pcs', 1, 1, ?)",
                     [(f"ITEM-{i:02d}", f"Item {i}", now) for i in range(items)])
    conn.execute("INSERT INTO warehouse (code, name, is_default) VALUES ('B', 'Second', 0)")
    main, b = 1, 2
    sid = lid = 0
    for i in range(items):
        item_id = i + 1
        for wh, n, prefix, seq in ((main, per, "S", 2 * i + 1), (b, 500 if i == 0 else 0, "B", 2 * i + 2)):
            if not n:
                continue
            number = f"GR-2026-{seq:04d}"
            doc = conn.execute("INSERT INTO document (number, kind, year, seq, date, warehouse_id, note, operator, version, "
                               "created_at, updated_at) VALUES (?, 'receipt', 2026, ?, ?, ?, '', 'bench', 1, ?, ?)",
                               (number, seq, today, wh, now, now)).lastrowid
            line = conn.execute("INSERT INTO doc_line (document_id, position, item_id, quantity, price) VALUES (?, 1, ?, ?, 1)",
                                (doc, item_id, n * 1000)).lastrowid
            codes = [f"{prefix}{i:02d}-{k:07d}" for k in range(n)]
            conn.executemany("INSERT INTO doc_line_serial (line_id, code) VALUES (?, ?)", [(line, c) for c in codes])
            conn.executemany("INSERT INTO serial_number (id, item_id, code, status, warehouse_id, received_at, moved_on, "
                             "received_on) VALUES (?, ?, ?, 'in_stock', ?, ?, ?, ?)",
                             [(sid + k + 1, item_id, c, wh, now, today, today) for k, c in enumerate(codes)])
            conn.executemany("INSERT INTO ledger (id, serial_id, document_id, doc_number, doc_kind, line_position, direction, "
                             "warehouse_id, at, doc_date, operator, state) VALUES (?, ?, ?, ?, 'receipt', 1, 1, ?, ?, ?, 'bench', 0)",
                             [(lid + k + 1, sid + k + 1, doc, number, wh, now, today) for k in range(n)])
            sid += n
            lid += n
            conn.execute("INSERT INTO stock (item_id, warehouse_id, quantity) VALUES (?, ?, ?)", (item_id, wh, n * 1000))
    conn.execute("INSERT INTO counter (kind, year, last) VALUES ('receipt', 2026, ?)", (2 * items,))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


class RawCount:
    """The statements of scan_serial, figures and a posting's writes on a plain sqlite3 connection."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        for p in ("journal_mode=wal", "foreign_keys=1", "busy_timeout=5000", "synchronous=normal"):
            self.conn.execute(f"PRAGMA {p}")

    def scan(self, number: str, code: str, item_id: int | None) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        cid, wh, status = c.execute("SELECT id, warehouse_id, status FROM stock_count WHERE number = ?", (number,)).fetchone()
        c.execute("SELECT item_id FROM stock_count_item WHERE count_id = ? ORDER BY item_id", (cid,)).fetchall()
        rows = c.execute("SELECT s.id, s.item_id, s.status, s.warehouse_id, i.code, i.tracked FROM serial_number s "
                         "JOIN item i ON i.id = s.item_id WHERE s.code = ? ORDER BY i.code", (code,)).fetchall()
        row = rows[0] if rows else None
        item = row[1] if row else item_id
        c.execute("SELECT operator, at FROM stock_count_scan WHERE count_id = ? AND item_id = ? AND code = ?",
                  (cid, item, code)).fetchone()
        c.execute("INSERT INTO stock_count_scan (count_id, item_id, code, quantity, serial_id, seen_status, "
                  "seen_warehouse_id, operator, at) VALUES (?, ?, ?, 1000, ?, ?, ?, 'raw', ?)",
                  (cid, item, code, row[0] if row else None, row[2] if row else None, row[3] if row else None,
                   str(dt.datetime.now())))
        c.execute("COMMIT")

    def figures(self, number: str) -> None:
        c = self.conn
        cid, wh = c.execute("SELECT id, warehouse_id FROM stock_count WHERE number = ?", (number,)).fetchone()
        items = [r[0] for r in c.execute("SELECT item_id FROM stock_count_item WHERE count_id = ?", (cid,))]
        marks = ",".join("?" * len(items))
        c.execute(f"SELECT item_id, quantity FROM stock WHERE warehouse_id = ? AND item_id IN ({marks})", (wh, *items)).fetchall()
        c.execute("SELECT item_id, SUM(quantity) FROM stock_count_scan WHERE count_id = ? GROUP BY item_id", (cid,)).fetchall()
        c.execute("SELECT c.item_id, COUNT(*) FROM stock_count_scan c JOIN serial_number s ON s.id = c.serial_id "
                  "WHERE c.count_id = ? AND s.status = 'in_stock' AND s.warehouse_id = ? GROUP BY c.item_id", (cid, wh)).fetchall()
        c.execute("SELECT s.item_id, i.code, s.code, s.id FROM serial_number s JOIN item i ON i.id = s.item_id "
                  f"WHERE s.warehouse_id = ? AND s.status = 'in_stock' AND s.item_id IN ({marks}) AND NOT EXISTS "
                  "(SELECT 1 FROM stock_count_scan x WHERE x.count_id = ? AND x.serial_id = s.id) ORDER BY i.code, s.code",
                  (wh, *items, cid)).fetchall()
        c.execute("SELECT x.item_id, i.code, x.code, x.serial_id, s.status, s.warehouse_id FROM stock_count_scan x "
                  "JOIN item i ON i.id = x.item_id LEFT JOIN serial_number s ON s.id = x.serial_id WHERE x.count_id = ? "
                  "AND x.code IS NOT NULL AND (s.id IS NULL OR s.status <> 'in_stock' OR s.warehouse_id <> ?) "
                  "ORDER BY i.code, x.code", (cid, wh)).fetchall()

    def post_writes(self, number: str) -> None:
        """The rows a posting writes, in one transaction (rolled back: the count stays for nothing else)."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        cid, wh = c.execute("SELECT id, warehouse_id FROM stock_count WHERE number = ?", (number,)).fetchone()
        missing = c.execute("SELECT s.id, s.code, s.item_id FROM serial_number s WHERE s.warehouse_id = ? AND "
                            "s.status = 'in_stock' AND s.item_id = 1 AND NOT EXISTS (SELECT 1 FROM stock_count_scan x "
                            "WHERE x.count_id = ? AND x.serial_id = s.id)", (wh, cid)).fetchall()
        extra = c.execute("SELECT x.serial_id, x.code, x.item_id, s.warehouse_id FROM stock_count_scan x LEFT JOIN "
                          "serial_number s ON s.id = x.serial_id WHERE x.count_id = ? AND (s.id IS NULL OR "
                          "s.warehouse_id <> ?)", (cid, wh)).fetchall()
        c.execute("INSERT INTO counter (kind, year, last) VALUES ('adjustment', 2026, 1) ON CONFLICT (kind, year) "
                  "DO UPDATE SET last = counter.last + 1")
        doc = c.execute("INSERT INTO document (number, kind, year, seq, date, warehouse_id, note, operator, version, "
                        "created_at, updated_at) VALUES ('SA-RAW', 'adjustment', 2026, 1, '2026-01-02', ?, '', 'raw', 1, "
                        "'2026-01-02', '2026-01-02')", (wh,)).lastrowid
        lines = {}
        for pos, (q, src) in enumerate(((-len(missing), None), (FROM_B, 2), (UNKNOWN, None)), start=1):
            lines[pos] = c.execute("INSERT INTO doc_line (document_id, position, item_id, quantity, price, from_warehouse_id) "
                                   "VALUES (?, ?, 1, ?, 1, ?)", (doc, pos, q * 1000, src)).lastrowid
        c.executemany("INSERT INTO doc_line_serial (line_id, code) VALUES (?, ?)",
                      [(lines[1], r[1]) for r in missing] + [(lines[2 if r[0] else 3], r[1]) for r in extra])
        ids = [r[0] for r in missing]
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            c.execute(f"UPDATE serial_number SET status = 'issued', moved_on = '2026-01-02' WHERE id IN ({','.join('?' * len(chunk))})",
                      chunk)
        c.executemany("INSERT INTO serial_number (item_id, code, status, warehouse_id, received_at, moved_on, received_on) "
                      "VALUES (1, ?, 'in_stock', ?, '2026-01-02', '2026-01-02', '2026-01-02')",
                      [(r[1], wh) for r in extra if r[0] is None])
        c.executemany("INSERT INTO ledger (serial_id, document_id, doc_number, doc_kind, line_position, direction, "
                      "warehouse_id, at, doc_date, operator, state) VALUES (?, ?, 'SA-RAW', 'adjustment', 1, ?, ?, "
                      "'2026-01-02', '2026-01-02', 'raw', 0)",
                      [(sid, doc, -1, wh) for sid in ids] + [(r[0] or 1, doc, 1, wh) for r in extra]
                      + [(r[0], doc, -1, 2) for r in extra if r[0]])
        c.execute("UPDATE stock SET quantity = quantity - ? WHERE item_id = 1 AND warehouse_id = ?", (len(ids) * 1000, wh))
        c.execute("UPDATE stock SET quantity = quantity - ? WHERE item_id = 1 AND warehouse_id = 2", (FROM_B * 1000,))
        c.execute("ROLLBACK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serials", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="100,000 serials")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--checkpoint-apart", action="store_true",
                    help="experiment: WAL checkpoints by a thread of their own, not by the committing scan")
    a = ap.parse_args()
    if a.quick:
        a.serials = 100_000
    path = HERE / f"bench_counts_{a.serials}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    say(f"# stock counts: {a.serials:,} serials in stock in MAIN over {a.items} items; SQLite "
        f"{sqlite3.sqlite_version}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    t = time.perf_counter()
    fill(path, a.serials, a.items)
    say(f"filled in {time.perf_counter() - t:.1f} s")
    dbm.connect(f"sqlite:///{path}")
    per = a.serials // a.items
    counted = [f"S00-{k:07d}" for k in range(per - MISSING)]
    extra_b = [f"B00-{k:07d}" for k in range(FROM_B)]
    unknown = [f"U00-{k:07d}" for k in range(UNKNOWN)]

    ours = open_count("MAIN", ["ITEM-00"], operator="bench").number
    base = open_count("MAIN", ["ITEM-00"], operator="bench").number
    dbm.db.close()
    raw = RawCount(path)
    if a.checkpoint_apart:
        # experiment: no commit runs a checkpoint (and its fsyncs); a thread checkpoints every 0.5 s
        import threading
        for conn in (dbm.db, raw.conn):
            conn.execute_sql("PRAGMA wal_autocheckpoint = 0") if conn is dbm.db else conn.execute("PRAGMA wal_autocheckpoint = 0")
        stop = threading.Event()

        def checkpointer():
            cp = sqlite3.connect(path, isolation_level=None)
            while not stop.wait(0.5):
                cp.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cp.close()
        threading.Thread(target=checkpointer, daemon=True).start()
    ours_ms, base_ms = [], []
    todo = [(c, None) for c in counted + extra_b] + [(c, "ITEM-00") for c in unknown]
    t0 = time.perf_counter()
    for k, (code, item) in enumerate(todo):
        # alternate who goes first, every 1,000 scans
        pair = ((lambda: scan_serial(ours, code, item=item, operator="bench"), ours_ms),
                (lambda: raw.scan(base, code, 1 if item else None), base_ms))
        for fn, out in (pair if (k // 1000) % 2 == 0 else pair[::-1]):
            s = time.perf_counter()
            fn()
            out.append((time.perf_counter() - s) * 1000)
        if k and k % 20000 == 0:
            say(f"  {k:,} scans ({time.perf_counter() - t0:.0f} s)")
    slow = sum(1 for v in ours_ms if v >= 5), sum(1 for v in base_ms if v >= 5)
    say(f"scans of 5 ms or more: ours {slow[0]}, raw {slow[1]} of {len(todo):,}; p95 ours {pct(ours_ms, 0.95):.2f} "
        f"raw {pct(base_ms, 0.95):.2f}; p99.9 ours {pct(ours_ms, 0.999):.2f} raw {pct(base_ms, 0.999):.2f} ms")
    rows = [("scan, p50 (ms)", statistics.median(ours_ms), statistics.median(base_ms), "", ""),
            ("scan, p99 (ms)", pct(ours_ms, 0.99), pct(base_ms, 0.99), "< 5", pct(ours_ms, 0.99) < 5)]

    s = time.perf_counter()
    view = get_count(ours)
    miss = missing_serials(ours, limit=None)
    extra = extra_serials(ours, limit=None)
    fig_ours = time.perf_counter() - s
    s = time.perf_counter()
    raw.figures(base)
    fig_base = time.perf_counter() - s
    [f] = view.figures
    assert (f.expected, f.counted, f.missing, f.extra) == (per, len(todo), MISSING, FROM_B + UNKNOWN), f
    assert len(miss) == MISSING and len(extra) == FROM_B + UNKNOWN
    rows.append(("missing and extra figures + lists (s)", fig_ours, fig_base, "< 1", fig_ours < 1))

    s = time.perf_counter()
    raw.post_writes(base)
    post_base = time.perf_counter() - s
    dbm.db.connect(reuse_if_open=True)
    s = time.perf_counter()
    adj = post_count(ours, operator="bench")
    post_ours = time.perf_counter() - s
    assert sum(len(l.serials) for l in adj.lines) == MISSING + FROM_B + UNKNOWN
    rows.append(("post the adjustment (s)", post_ours, post_base, "< 3", post_ours < 3))

    s = time.perf_counter()
    problems = check()
    say(f"check() after: {problems or 'clean'} ({time.perf_counter() - s:.1f} s)")
    say("")
    say("| measure | ours | raw sqlite3 | ratio | target | ok |")
    say("|---|---|---|---|---|---|")
    for name, o, b, target, ok in rows:
        say(f"| {name} | {o:.3f} | {b:.3f} | {o / b:.1f}x | {target} | {ok if target else ''} |")
    dbm.db.close()
    raw.conn.close()
    if not a.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if problems or not all(r[4] for r in rows if r[3]):
        sys.exit(1)


if __name__ == "__main__":
    main()
