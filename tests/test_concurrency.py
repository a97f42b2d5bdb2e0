"""Several operators at once: OS processes saving goods issues and goods receipts that pick
overlapping serials from one database, on SQLite and PostgreSQL.

Whatever the timing: each serial goes out (or comes in) exactly once, every loser is told which
serial and which document took it, no process sees a raw database error, and check() is clean.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from store.check import check
from store.documents import DocumentIn, LineIn, get_document, list_documents, save_document
from store.errors import DocumentRefused, Refusal, SerialInStock, SerialNotAvailable
from store.lookups import find_serial, stock_of
from tests.helpers import issue, receive

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ITEM = "PHONE-X"
PROCESSES = 5


# --- the worker: runs in its own process ----------------------------------------------------------

def worker_main(cfg: dict) -> None:
    """Connect, say "ready", wait for "go" on stdin, then save ``documents`` documents of
    ``per_document`` serials drawn from ``pool`` as fast as possible; print the results as JSON."""
    from store import db as dbm

    dbm.connect(cfg["url"])
    rng = random.Random(cfg["seed"])
    print("ready", flush=True)
    sys.stdin.readline()
    results = []
    for _ in range(cfg["documents"]):
        serials = rng.sample(cfg["pool"], cfg["per_document"])
        rec = {"serials": serials, "process": cfg["seed"]}
        rec["t0"] = time.monotonic()
        try:
            view = save_document(DocumentIn(cfg["kind"], [LineIn(ITEM, len(serials), None, serials)]),
                                 operator=f"process-{cfg['seed']}")
            rec.update(ok=True, number=view.number)
        except Refusal as r:
            problems = r.problems if isinstance(r, DocumentRefused) else [r]
            rec.update(ok=False, refusal=type(r).__name__, message=str(r), document=r.document,
                       problems=[[type(p).__name__, p.serial, p.document, p.message] for p in problems])
        except BaseException as e:  # a raw database error: the test fails on it
            rec.update(ok=False, crash=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
        rec["t1"] = time.monotonic()
        results.append(rec)
    print("result " + json.dumps(results), flush=True)


_WORKER = "import json, sys; from tests.test_concurrency import worker_main; worker_main(json.loads(sys.argv[1]))"


def run_workers(url: str, kind: str, pool: list[str], *, documents: int, per_document: int) -> list[dict]:
    procs = []
    for i in range(PROCESSES):
        cfg = {"url": url, "kind": kind, "pool": pool, "documents": documents, "per_document": per_document,
               "seed": i}
        procs.append(subprocess.Popen([sys.executable, "-c", _WORKER, json.dumps(cfg)], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    try:
        for p in procs:  # a barrier: everyone connected before anyone starts
            line = p.stdout.readline()
            if line.strip() != "ready":
                p.kill()
                pytest.fail(f"a worker did not start: {line!r}\n{p.communicate()[1]}")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, f"a worker died ({p.returncode}):\n{err}"
            lines = [l for l in out.splitlines() if l.startswith("result ")]
            assert len(lines) == 1, f"a worker printed no result:\n{out}\n{err}"
            results.extend(json.loads(lines[0][len("result "):]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results


def assert_no_crash_and_real_overlap(results, expected_count):
    assert len(results) == expected_count
    crashes = [r for r in results if "crash" in r]
    assert not crashes, "raw database errors reached the caller:\n" + "\n".join(
        r["crash"] + "\n" + r["traceback"] for r in crashes[:3])
    # The test means something only if saves of different processes were running at the same time.
    spans = sorted((r["t0"], r["t1"], r["process"]) for r in results)
    overlapping = any(b[0] < a[1] and b[2] != a[2] for a, b in zip(spans, spans[1:]))
    assert overlapping, "the processes never saved at the same time"


def owners_of(successes) -> dict[str, str]:
    """{serial: the one successful document that has it}, failing on a serial on two of them."""
    owner: dict[str, str] = {}
    for r in successes:
        for s in r["serials"]:
            assert s not in owner, f"serial {s} is on both {owner[s]} and {r['number']}"
            owner[s] = r["number"]
    return owner


def assert_losers_told(failures, owner, saved_numbers, refusal_class, says):
    """Every refused attempt names only serials a successful document took, and that document
    (``says(serial)`` is in the message); a refused new document is not called by a number."""
    wrong = []
    for r in failures:
        if r["refusal"] != "DocumentRefused" or not r["problems"]:
            wrong.append(f"not a list of problems: {r['message']}")
            continue
        if r["document"] and not r["document"].startswith("The new "):  # "The new goods issue"
            taken = " (the number of another, saved document)" if r["document"] in saved_numbers else ""
            wrong.append(f"a refused new document is called {r['document']}{taken}")
        for kind, serial, document, message in r["problems"]:
            if kind != refusal_class.__name__ or serial not in r["serials"]:
                wrong.append(f"{kind} about {serial}: {message}")
            elif serial not in owner:
                wrong.append(f"{serial} is named, but no saved document has it: {message}")
            elif document != owner[serial] or says(serial) not in message:
                wrong.append(f"{serial} was taken by {owner[serial]}, but the refusal says: {message}")
    assert not wrong, f"{len(wrong)} problems in {len(failures)} refusals:\n" + "\n".join(
        sorted(set(wrong), key=wrong.index)[:12])


def assert_numbered_without_gaps(successes, prefix):
    """The saved documents are numbered 1, 2, 3 ... with no number given twice and none burned by a
    refused or retried save."""
    year = time.localtime().tm_year
    numbers = sorted(r["number"] for r in successes)
    assert numbers == [f"{prefix}-{year}-{i:04d}" for i in range(1, len(successes) + 1)], numbers


def standing_moves(serial: str, direction: int) -> list[str]:
    (info,) = find_serial(serial)
    return [m.document for m in info.history if m.state == 0 and m.direction == direction]


def test_overlapping_issues_take_each_serial_once(db_url, stock):
    pool = [f"C-{i:03d}" for i in range(60)]
    receive(ITEM, pool)
    results = run_workers(db_url, "issue", pool, documents=10, per_document=3)
    assert_no_crash_and_real_overlap(results, PROCESSES * 10)

    successes = [r for r in results if r["ok"]]
    failures = [r for r in results if not r["ok"]]
    assert successes and failures  # 150 picks of 60 serials: some must collide
    assert_numbered_without_gaps(successes, "GI")
    owner = owners_of(successes)

    # The store says the same: each issued serial went out once, by the document that has it.
    for s in pool:
        (info,) = find_serial(s)
        outs = standing_moves(s, -1)
        if s in owner:
            assert (info.status, info.issued_by, outs) == ("issued", owner[s], [owner[s]]), s
        else:
            assert (info.status, info.warehouse, outs) == ("in_stock", "MAIN", []), s
    saved = {d.number: get_document(d.number).lines[0].serials for d in list_documents(kinds=["issue"], limit=1000)}
    assert saved == {r["number"]: r["serials"] for r in successes}
    assert stock_of(ITEM, "MAIN") == len(pool) - len(owner)

    # Each loser was told which serial was taken, and by which document.
    assert_losers_told(failures, owner, set(saved), SerialNotAvailable,
                       lambda serial: f"serial {serial} was issued by {owner[serial]}")
    assert check() == []


def test_overlapping_receipts_take_each_new_serial_once(db_url, stock):
    pool = [f"N-{i:03d}" for i in range(40)]
    results = run_workers(db_url, "receipt", pool, documents=8, per_document=3)
    assert_no_crash_and_real_overlap(results, PROCESSES * 8)

    successes = [r for r in results if r["ok"]]
    failures = [r for r in results if not r["ok"]]
    assert successes and failures  # 120 picks of 40 serials: some must collide
    assert_numbered_without_gaps(successes, "GR")
    owner = owners_of(successes)

    for s in pool:
        found = find_serial(s)
        if s in owner:
            (info,) = found
            assert (info.status, info.warehouse, info.received_by) == ("in_stock", "MAIN", owner[s]), s
            assert standing_moves(s, +1) == [owner[s]], s
        else:
            assert found == [], f"{s} is on no saved receipt but the store knows it"
    saved = {d.number: get_document(d.number).lines[0].serials for d in list_documents(kinds=["receipt"], limit=1000)}
    assert saved == {r["number"]: r["serials"] for r in successes}
    assert stock_of(ITEM, "MAIN") == len(owner)

    assert_losers_told(failures, owner, set(saved), SerialInStock,
                       lambda serial: f"serial {serial} is already in stock in MAIN, received by {owner[serial]}")
    assert check() == []


def test_overlapping_returns_take_each_issued_serial_back_once(db_url, stock):
    """Customer returns: receipts of serials that were issued, picked by several processes at once."""
    pool = [f"R-{i:03d}" for i in range(40)]
    receive(ITEM, pool)
    sold = issue(ITEM, pool).number
    results = run_workers(db_url, "receipt", pool, documents=8, per_document=3)
    assert_no_crash_and_real_overlap(results, PROCESSES * 8)

    successes = [r for r in results if r["ok"]]
    failures = [r for r in results if not r["ok"]]
    assert successes and failures
    owner = owners_of(successes)
    for s in pool:
        (info,) = find_serial(s)
        if s in owner:
            assert (info.status, info.warehouse, info.received_by) == ("in_stock", "MAIN", owner[s]), s
            assert standing_moves(s, +1)[-1:] == [owner[s]] and len(standing_moves(s, +1)) == 2, s
        else:
            assert (info.status, info.issued_by) == ("issued", sold), s
    assert stock_of(ITEM, "MAIN") == len(owner)
    saved = {d.number for d in list_documents(kinds=["receipt"], limit=1000)}
    assert_losers_told(failures, owner, saved, SerialInStock,
                       lambda serial: f"serial {serial} is already in stock in MAIN, received by {owner[serial]}")
    assert check() == []
