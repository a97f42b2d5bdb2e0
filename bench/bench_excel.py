"""Benchmark of the Excel import and export against openpyxl doing only its part, run by hand.

    /work/venv/bin/python bench/bench_excel.py                   # import 100,000 serial rows; export 1,000,000 serials
    /work/venv/bin/python bench/bench_excel.py --skip-export     # the import only
    /work/venv/bin/python bench/bench_excel.py --db postgresql://postgres@127.0.0.1:5432/test --skip-export

Import
  A fresh database (the store's schema) gets ``--items`` tracked items. A file is written with openpyxl in
  write-only mode (as our exports and most scripts write): ``--docs`` goods receipts on the Documents
  sheet, each with lines of 1,000 serials of one item, ``--serials`` rows on the Serials sheet in all.
  - ours: store.excel.import_file(file) — open and check the file, read every sheet, check every cell,
    save every document through save_document in one transaction — on a fresh database each round.
  - baseline: openpyxl merely reading the same file: load_workbook(read_only=True, data_only=True) and
    iter_rows(values_only=True) over every sheet.
  Median of ``--repeat`` rounds each. Targets: ours < 15 s and <= 1.5x the baseline.

Export
  ``--export-serials`` serials are put in the database as bench/bench_store.py does (its Layout and
  populate(): raw bulk load in exactly the shape the store writes), then, each in a fresh child process so
  that its peak RSS is its own:
  - ours: store.excel.export_agenda("serials", file, status=None): keyset pages from the database into a
    write-only workbook; RSS sampled every 100,000 rows to show it stays flat.
  - baseline: openpyxl write-only writing the same number of rows of the same shape from a generator,
    no database.
  Target: ours streams with flat memory, peak RSS < 200 MB.

SQLite files live in bench/ (bench/*.db is git-ignored) and are deleted unless --keep. On PostgreSQL the
serialstock tables of the given database are dropped first and at the end, as bench_store.py does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_store import Layout, backend_for, populate, print_table  # noqa: E402

from store import db as dbm  # noqa: E402
from store.models import ALL_MODELS  # noqa: E402

OPERATOR = "bench"
PER_LINE = 1000


def say(*a) -> None:
    print(*a, flush=True)


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    return _status_mb("VmRSS:")


def peak_mb() -> float:
    """Peak RSS of this process since it started: VmHWM. (Not getrusage's ru_maxrss: Linux carries
    that across exec, so a child would report the size of the parent it was forked from.)"""
    return _status_mb("VmHWM:")


# --- import -------------------------------------------------------------------------------------

def write_import_file(path: Path, serials: int, docs: int, items: int) -> None:
    from openpyxl import Workbook

    lines_total = (serials + PER_LINE - 1) // PER_LINE
    per_doc = (lines_total + docs - 1) // docs
    wb = Workbook(write_only=True)
    d, ln, sr = wb.create_sheet("Documents"), wb.create_sheet("Lines"), wb.create_sheet("Serials")
    d.append(["Document", "Kind", "Date", "Warehouse", "Partner", "Note"])
    ln.append(["Document", "Line", "Item", "Quantity", "Price"])
    sr.append(["Document", "Line", "Serial"])
    today = dt.date.today()
    left = serials
    for k in range(1, docs + 1):
        d.append([f"R{k}", "receipt", today, None, None, f"bench receipt {k}"])
        for pos in range(1, per_doc + 1):
            n = min(PER_LINE, left)
            if n <= 0:
                break
            line_no = (k - 1) * per_doc + pos
            item = f"IT{(line_no - 1) % items + 1:04d}"
            ln.append([f"R{k}", pos, item, n, 9.99])
            for j in range(n):
                sr.append([f"R{k}", pos, f"S{line_no:05d}-{j:06d}"])
            left -= n
    wb.save(path)


def fresh_database(url: str, items: int) -> None:
    from store import catalog

    if url.startswith("postgres"):
        reset_postgres(url)
    else:
        path = Path(dbm.make_database(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    dbm.connect(url)
    for i in range(1, items + 1):
        catalog.create_item(f"IT{i:04d}", f"Bench item {i}", tracked=True, price="9.99")


def reset_postgres(url: str) -> None:
    database = dbm.make_database(url)
    dbm.db.initialize(database)
    database.connect(reuse_if_open=True)
    database.drop_tables(ALL_MODELS, safe=True, cascade=True)
    database.close()


def openpyxl_read(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            n += 1
    wb.close()
    return n


def bench_import(args) -> list[tuple]:
    from store.excel import import_file

    url = args.db if args.db != "sqlite" else f"sqlite:///{HERE / 'bench_excel_import.db'}"
    tmp = Path(tempfile.mkdtemp(prefix="bench_excel_"))
    path = tmp / "import.xlsx"
    t = time.perf_counter()
    write_import_file(path, args.serials, args.docs, args.items)
    say(f"  file: {args.serials:,} serial rows in {args.docs} receipts, lines of {PER_LINE:,}; "
        f"{path.stat().st_size / 1e6:.1f} MB written by openpyxl write-only in {time.perf_counter() - t:.1f} s")
    ours, base = [], []
    for r in range(args.repeat):
        fresh_database(url, args.items)
        t = time.perf_counter()
        rows = openpyxl_read(path)
        b = time.perf_counter() - t
        t = time.perf_counter()
        result = import_file(path, OPERATOR)
        o = time.perf_counter() - t
        if result.serials != args.serials or len(result.documents) != args.docs:
            raise AssertionError(f"imported {result.serials} serials in {len(result.documents)} documents")
        dbm.db.close()
        ours.append(o)
        base.append(b)
        say(f"  round {r + 1}: ours {o:.2f} s (import_file, {result.serials:,} serials saved); "
            f"baseline {b:.2f} s (openpyxl read-only read of {rows:,} rows)")
    if url.startswith("postgres"):
        if not args.keep:
            reset_postgres(url)
    elif not args.keep:
        path_db = Path(dbm.make_database(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path_db) + suffix).unlink(missing_ok=True)
    path.unlink()
    tmp.rmdir()
    mo, mb = statistics.median(ours), statistics.median(base)
    return [(f"import {args.serials:,} serial rows (median of {args.repeat})", f"{mo:.2f} s", f"{mb:.2f} s",
             f"{mo / mb:.2f}x", "< 15 s, <= 1.5x", "yes" if mo < 15 and mo <= 1.5 * mb else "NO")]


# --- export -------------------------------------------------------------------------------------

SERIAL_HEADERS = ["Serial", "Item", "Item name", "Status", "Warehouse", "Received by", "Received on", "Issued by",
                  "Issued on"]


def child_export(url: str, out: str) -> None:
    """In a child process: our export; prints JSON with time, peak RSS and RSS samples."""
    from store.excel import export_agenda

    dbm.connect(url, migrate=False)
    samples = [(0, round(rss_mb(), 1))]

    def progress(stage, done, total):
        if done % 100_000 == 0:
            samples.append((done, round(rss_mb(), 1)))

    t = time.perf_counter()
    n = export_agenda("serials", out, status=None, progress=progress)
    took = time.perf_counter() - t
    samples.append(("saved", round(rss_mb(), 1)))
    print(json.dumps({"rows": n, "seconds": took, "peak_mb": peak_mb(), "samples": samples,
                      "size_mb": os.path.getsize(out) / 1e6}))


def child_baseline(rows: int, out: str) -> None:
    """In a child process: openpyxl write-only writing rows of the same shape from a generator."""
    from openpyxl import Workbook

    samples = [(0, round(rss_mb(), 1))]
    day = dt.date.today()
    t = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Serial numbers")
    ws.append(SERIAL_HEADERS)
    for k in range(1, rows + 1):
        ws.append([f"ABCDE{k:06d}", f"IT{k % 10000:06d}", f"Bench item {k % 10000}", "in stock", "WH01",
                   f"GR-2026-{k % 1000:04d}", day, None, None])
        if k % 100_000 == 0:
            samples.append((k, round(rss_mb(), 1)))
    wb.save(out)
    took = time.perf_counter() - t
    samples.append(("saved", round(rss_mb(), 1)))
    print(json.dumps({"rows": rows, "seconds": took, "peak_mb": peak_mb(), "samples": samples,
                      "size_mb": os.path.getsize(out) / 1e6}))


def run_child(*argv) -> dict:
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child {argv} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_export(args) -> list[tuple]:
    be = backend_for(args.db, args.export_serials, False)
    items = max(2, args.export_serials // 100)
    lay = Layout(args.export_serials, items, 4, 10, 1.0, 20240601)
    be.reset()
    dbm.connect(be.url).close()
    t = time.perf_counter()
    populate(be, lay)
    say(f"  database: {args.export_serials:,} serials over {items:,} items populated in {time.perf_counter() - t:.1f} s "
        f"(bench_store.populate)")
    tmp = Path(tempfile.mkdtemp(prefix="bench_excel_"))
    try:
        ours = run_child("--child-export", be.url, str(tmp / "ours.xlsx"))
        say(f"  ours: {ours['rows']:,} rows in {ours['seconds']:.1f} s, peak RSS {ours['peak_mb']:.0f} MB, "
            f"file {ours['size_mb']:.0f} MB; RSS by rows written: "
            + ", ".join(f"{k}: {v:.0f}" for k, v in ours["samples"]))
        base = run_child("--child-baseline", str(ours["rows"]), str(tmp / "base.xlsx"))
        say(f"  baseline: {base['rows']:,} rows in {base['seconds']:.1f} s, peak RSS {base['peak_mb']:.0f} MB, "
            f"file {base['size_mb']:.0f} MB; RSS by rows written: "
            + ", ".join(f"{k}: {v:.0f}" for k, v in base["samples"]))
    finally:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
        if not args.keep:
            be.reset()
    if ours["rows"] != args.export_serials:
        raise AssertionError(f"exported {ours['rows']} rows of {args.export_serials}")
    during = [v for k, v in ours["samples"] if isinstance(k, int) and k > 0]
    flat = (max(during) - min(during)) if during else 0.0
    return [
        (f"export {args.export_serials:,} serials: time", f"{ours['seconds']:.1f} s", f"{base['seconds']:.1f} s",
         f"{ours['seconds'] / base['seconds']:.2f}x", "-", "-"),
        (f"export {args.export_serials:,} serials: peak RSS", f"{ours['peak_mb']:.0f} MB", f"{base['peak_mb']:.0f} MB",
         f"{ours['peak_mb'] / base['peak_mb']:.2f}x", "< 200 MB", "yes" if ours["peak_mb"] < 200 else "NO"),
        ("export: RSS growth from 100k rows to the end", f"{flat:.0f} MB", "-", "-", "flat (< 20 MB)",
         "yes" if flat < 20 else "NO"),
    ]


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child-export":
        child_export(sys.argv[2], sys.argv[3])
        return 0
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child-baseline":
        child_baseline(int(sys.argv[2]), sys.argv[3])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="sqlite", help="sqlite (files in bench/) or postgresql://...")
    ap.add_argument("--serials", type=int, default=100_000, help="serial rows in the import file")
    ap.add_argument("--docs", type=int, default=10, help="receipts in the import file")
    ap.add_argument("--items", type=int, default=100, help="tracked items the import file uses")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--export-serials", type=int, default=1_000_000)
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = ap.parse_args(argv)

    import openpyxl
    import peewee

    say("serialstock Excel benchmark")
    say(f"  command: {' '.join([Path(sys.executable).as_posix(), *sys.argv])}")
    say(f"  python {platform.python_version()}, openpyxl {openpyxl.__version__}, peewee {peewee.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}; database {args.db}")
    rows = []
    if not args.skip_import:
        say("import:")
        rows += bench_import(args)
    if not args.skip_export:
        say("export:")
        rows += bench_export(args)

    print_table(rows)
    say("import baseline: openpyxl load_workbook(read_only=True, data_only=True) + iter_rows(values_only=True) over "
        "every sheet of the same file. export baseline: openpyxl write-only writing the same number of rows of the "
        "same shape from a generator, no database; each export in its own child process (peak RSS its own).")
    return 1 if any(r[-1] == "NO" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
