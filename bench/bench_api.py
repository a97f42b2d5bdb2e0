"""Benchmark of the HTTP API under concurrent clients, beside a baseline of the same store calls made
directly in-process. Run by hand; loopback only; every loop is bounded in time and count.

    /work/venv/bin/python bench/bench_api.py                          # SQLite (bench/bench_api.db)
    /work/venv/bin/python bench/bench_api.py --pg postgresql://postgres@127.0.0.1:5432/apibench
    /work/venv/bin/python bench/bench_api.py --sqlite --pg URL --clients 1,10,50 --seconds 10

What it does, per database
  1. Opens the database with store.db.connect (on PostgreSQL the serialstock tables in it are dropped
     first, as tests/conftest.py does: use a database of its own, e.g. `createdb -h 127.0.0.1 -U postgres
     apibench`, never the test suite's), creates a tracked item BENCH and a token.
  2. Starts the API with `serialstock --db URL api --no-access-log` on 127.0.0.1 and a free port: the
     command's own defaults (1 process of 4 threads on SQLite; on PostgreSQL one process per CPU, at most
     4, of 4 threads each, each process with its own connection pool) unless --workers / --threads say.
  3. For 1, 10 and 50 clients at once: each client (a thread with its own keep-alive HTTP/1.1
     connection) loops: POST /goods-receipts of one line of ``--serials`` new serials, then
     POST /goods-issues of those serials, for ``--seconds`` (and at most ``--max-requests`` requests
     per client). Every request's latency is recorded; any answer other than 201 is counted as an error.
  4. Baseline: the same number of threads call store.documents.save_document for the same receipts
     and issues directly (no HTTP, JSON, token check or pool), for the same time.
  5. After each run: every serial answered 201 is in the database once, issued, with exactly one
     standing receipt and one standing issue; no other serial exists; check() returns [].

Figures: requests per second (each request one document), p50 and p99 latency in milliseconds.
Goal: p99 under 100 ms with 10 clients; throughput with 50 clients no lower than with 10.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from store import catalog, tokens  # noqa: E402
from store import db as dbm  # noqa: E402
from store.check import check  # noqa: E402
from store.documents import DocumentIn, LineIn, save_document  # noqa: E402
from store.models import ALL_MODELS  # noqa: E402

ITEM = "BENCH"


def say(*a) -> None:
    print(*a, flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database -------------------------------------------------------------------------------

def prepare(url: str) -> str:
    """A fresh database with the item; returns a token's secret."""
    if url.startswith("postgres"):
        database = dbm.make_database(url)
        dbm.db.initialize(database)
        database.connect(reuse_if_open=True)
        database.drop_tables(ALL_MODELS, safe=True, cascade=True)
        database.close()
    else:
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    dbm.connect(url)
    catalog.create_item(ITEM, "Bench item", tracked=True, price="1.00")
    _, secret = tokens.create_token("bench")
    dbm.db.close()
    return secret


def verify(expected: set[str]) -> list[str]:
    """Problems: serials answered 201 but missing, duplicated, not issued, with other than one standing
    receipt and one standing issue, or serials nobody was told about; then check()."""
    problems = []
    with dbm.db.connection_context():
        rows = dbm.db.execute_sql(
            "SELECT s.code, s.status, "
            "SUM(CASE WHEN l.state = 0 AND l.direction = 1 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN l.state = 0 AND l.direction = -1 THEN 1 ELSE 0 END) "
            "FROM serial_number s LEFT JOIN ledger l ON l.serial_id = s.id GROUP BY s.id, s.code, s.status").fetchall()
        seen: dict[str, int] = {}
        for code, status, ins, outs in rows:
            seen[code] = seen.get(code, 0) + 1
            if code in expected and (status != "issued" or ins != 1 or outs != 1):
                problems.append(f"serial {code}: {status}, {ins} in, {outs} out")
        problems += [f"serial {c} lost" for c in expected if c not in seen]
        problems += [f"serial {c} stored {n} times" for c, n in seen.items() if n > 1]
        problems += [f"serial {c} saved but never answered 201" for c in seen if c not in expected]
        problems += check()
    return problems[:20]


# --- load ---------------------------------------------------------------------------------------

class Result:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.serials: set[str] = set()
        self.lock = threading.Lock()
        self.elapsed = 0.0

    def add(self, lats, errors, samples, serials) -> None:
        with self.lock:
            self.latencies += lats
            self.errors += errors
            self.error_samples += samples[:3]
            self.serials |= serials


def doc(serials: list[str]) -> dict:
    return {"lines": [{"item": ITEM, "quantity": len(serials), "serials": serials}]}


def api_client(port, secret, tag, n_serials, stop_at, max_requests, result: Result) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    lats, errors, samples, done = [], 0, [], set()
    i = 0
    while time.perf_counter() < stop_at and len(lats) + errors < max_requests:
        codes = [f"{tag}-{i}-{j}" for j in range(n_serials)]
        ok = True
        for path in ("/goods-receipts", "/goods-issues"):
            body = json.dumps(doc(codes))
            t = time.perf_counter()
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
            took = time.perf_counter() - t
            if resp.status == 201:
                lats.append(took)
            else:
                errors += 1
                ok = False
                samples.append(f"{resp.status} {data[:300]!r}")
                break
        if ok:
            done.update(codes)
        i += 1
    conn.close()
    result.add(lats, errors, samples, done)


def direct_client(tag, n_serials, stop_at, max_requests, result: Result) -> None:
    lats, errors, samples, done = [], 0, [], set()
    i = 0
    from store.errors import Refusal

    with dbm.db.connection_context():
        while time.perf_counter() < stop_at and len(lats) + errors < max_requests:
            codes = [f"{tag}-{i}-{j}" for j in range(n_serials)]
            ok = True
            for kind in ("receipt", "issue"):
                t = time.perf_counter()
                try:
                    save_document(DocumentIn(kind, [LineIn(ITEM, len(codes), None, codes)]), operator="bench")
                    lats.append(time.perf_counter() - t)
                except Refusal as r:
                    errors += 1
                    ok = False
                    samples.append(str(r)[:300])
                    break
            if ok:
                done.update(codes)
            i += 1
    result.add(lats, errors, samples, done)


def run_level(target, clients: int, seconds: float, max_requests: int) -> Result:
    result = Result()
    start = time.perf_counter()
    stop_at = start + seconds
    threads = [threading.Thread(target=target, args=(c, stop_at, max_requests, result)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    result.elapsed = time.perf_counter() - start
    return result


def start_server(url: str, port: int, workers: int | None = None, threads: int | None = None) -> subprocess.Popen:
    """`serialstock --db URL api` on the port; returns once every one of its processes has started."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    extra = (["--workers", str(workers)] if workers else []) + (["--threads", str(threads)] if threads else [])
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "-m", "serialstock.cli", "--db", url, "api", "--host", "127.0.0.1",
                             "--port", str(port), "--no-access-log", *extra], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        started = re.search(r"(\d+) process(?:es)?;", text)
        if started and text.count("Application startup complete") >= int(started.group(1)):
            say(f"    server: `serialstock api`, {started.group(1)} process(es)"
                + (f", {threads} threads each" if threads else ""))
            proc.log = log
            return proc
        if proc.poll() is not None:
            raise SystemExit("the API server did not start:\n" + text)
        time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise SystemExit("the API server did not start in 30 s:\n" + log.read())


def bench(name: str, url: str, args) -> list[tuple]:
    say(f"\n== {name}: {url}")
    secret = prepare(url)
    rows = []
    port = free_port()
    server = start_server(url, port, args.workers, args.threads)
    try:
        for clients in args.clients:
            for mode in ("api",) if args.api_only else ("api", "direct"):
                tag = f"{mode[0]}{clients}"
                if mode == "api":
                    def target(c, stop_at, mx, res, tag=tag):
                        api_client(port, secret, f"{tag}c{c}", args.serials, stop_at, mx, res)
                    # warm-up: a few documents outside the measurement (connections, imports, caches)
                    run_level(lambda c, s, m, r: api_client(port, secret, f"w{tag}c{c}", args.serials, s, 4, r),
                              min(clients, 10), 2, 4)
                else:
                    def target(c, stop_at, mx, res, tag=tag):
                        direct_client(f"{tag}c{c}", args.serials, stop_at, mx, res)
                res = run_level(target, clients, args.seconds, args.max_requests)
                if mode == "api":
                    res.serials |= warmed(tag)
                n = len(res.latencies)
                row = (name, clients, mode, n, n / res.elapsed, pct(res.latencies, 50) * 1000,
                       pct(res.latencies, 99) * 1000, res.errors)
                rows.append(row)
                say(f"{name:<10} {clients:>3} clients  {mode:<6}  {n:>6} docs  {row[4]:8.1f} docs/s  "
                    f"p50 {row[5]:7.1f} ms  p99 {row[6]:7.1f} ms  errors {res.errors}")
                for s in res.error_samples[:3]:
                    say(f"    error: {s}")
                EXPECTED.update(res.serials)
                problems = verify(EXPECTED)
                if problems:
                    say("    PROBLEMS after this run:\n    " + "\n    ".join(problems))
                    raise SystemExit(1)
        say(f"    after every run: {len(EXPECTED)} serials received and issued once each, none lost or "
            "duplicated; check() == []")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        EXPECTED.clear()
    return rows


EXPECTED: set[str] = set()


def warmed(tag: str) -> set[str]:
    """The serials the warm-up documents received and issued (they are in the database too)."""
    with dbm.db.connection_context():
        rows = dbm.db.execute_sql(
            "SELECT code FROM serial_number WHERE code LIKE " + dbm.db.obj.param, (f"w{tag}c%",)).fetchall()
    return {r[0] for r in rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sqlite", nargs="?", const=str(HERE / "bench_api.db"), default=None, metavar="PATH",
                   help="run on SQLite (default file bench/bench_api.db); the default when --pg is not given")
    p.add_argument("--pg", metavar="URL", help="run on this PostgreSQL database (its serialstock tables are dropped)")
    p.add_argument("--clients", default="1,10,50", help="concurrency levels (default 1,10,50)")
    p.add_argument("--seconds", type=float, default=10.0, help="time per level and mode (default 10)")
    p.add_argument("--max-requests", type=int, default=5000, help="at most this many requests per client per run")
    p.add_argument("--serials", type=int, default=5, help="serials on the one line of each document (default 5)")
    p.add_argument("--workers", type=int, help="server processes (default: what `serialstock api` chooses)")
    p.add_argument("--threads", type=int, help="threads per server process (default: the command's)")
    p.add_argument("--keep", action="store_true", help="keep the SQLite file")
    p.add_argument("--api-only", action="store_true", help="skip the in-process baseline runs")
    args = p.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if args.sqlite is None and not args.pg:
        args.sqlite = str(HERE / "bench_api.db")

    say(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    say(f"each document: one line of {args.serials} serials of a tracked item; each client receives a document, "
        f"then issues it; {args.seconds:g} s per run")
    rows = []
    if args.sqlite:
        rows += bench("sqlite", f"sqlite:///{args.sqlite}", args)
    if args.pg:
        rows += bench("postgresql", args.pg, args)
    say("\nsummary (docs/s = requests/s; api = over HTTP on loopback, direct = the same store calls in-process)")
    say(f"{'db':<10} {'clients':>7} {'mode':<6} {'docs':>7} {'docs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for r in rows:
        say(f"{r[0]:<10} {r[1]:>7} {r[2]:<6} {r[3]:>7} {r[4]:>8.1f} {r[5]:>8.1f} {r[6]:>8.1f} {r[7]:>6}")
    ok = True
    for db in {r[0] for r in rows}:
        api = {r[1]: r for r in rows if r[0] == db and r[2] == "api"}
        if 10 in api:
            good = api[10][6] < 100
            ok &= good
            say(f"{db}: p99 with 10 clients {api[10][6]:.1f} ms: {'under' if good else 'NOT under'} 100 ms")
        if 10 in api and 50 in api:
            good = api[50][4] >= api[10][4] * 0.97
            ok &= good
            say(f"{db}: throughput with 50 clients {api[50][4]:.1f} docs/s vs {api[10][4]:.1f} with 10: "
                f"{'no collapse' if good else 'LOWER'}")
    if args.sqlite and not args.keep:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(args.sqlite + suffix).unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
