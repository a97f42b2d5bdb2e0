"""Stock counts with several counters at once, and a counter killed mid-count (issue 15): OS processes
on one database, SQLite and PostgreSQL.

- Two counters scan overlapping lists of serials into one count while a goods receipt into the counted
  warehouse is saved: each serial is counted once, the loser of a race is told who scanned it first,
  both counters read the same totals, the received serials are expected (no false alarm), and posting
  leaves a consistent database.
- A counter killed with SIGKILL mid-scan: every scan it was told was recorded is there when the count is
  opened again, and the count can be posted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store.check import check
from store.counts import extra_serials, get_count, missing_serials, open_count, post_count
from store.lookups import stock_of
from tests.helpers import receive

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def counter_main(cfg: dict) -> None:
    """Connect, say "ready", wait for "go", scan ``codes`` into count ``number`` as ``operator``, printing
    "ok CODE" as each is recorded (or "dup CODE message"); then wait for "totals" and print them."""
    from store import db as dbm
    from store.counts import count_totals, scan_serial
    from store.errors import DuplicateSerial

    dbm.connect(cfg["url"])
    print("ready", flush=True)
    sys.stdin.readline()
    for code in cfg["codes"]:
        try:
            scan_serial(cfg["number"], code, operator=cfg["operator"])
            print(f"ok {code}", flush=True)
        except DuplicateSerial as r:
            print(f"dup {code} {r.message}", flush=True)
        if cfg.get("pause"):
            time.sleep(cfg["pause"])
    print("done", flush=True)
    if sys.stdin.readline().strip() == "totals":
        t = count_totals(cfg["number"])
        print("totals " + json.dumps([str(t.expected), str(t.counted), str(t.missing), str(t.extra)]), flush=True)


_WORKER = "import json, sys; from tests.test_counts_concurrency import counter_main; counter_main(json.loads(sys.argv[1]))"


def start(cfg: dict) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _WORKER, json.dumps(cfg)], cwd=ROOT, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        pytest.fail(f"a counter did not start: {line!r}\n{p.communicate()[1]}")
    return p


def say(p: subprocess.Popen, text: str) -> None:
    p.stdin.write(text + "\n")
    p.stdin.flush()


def read_until_done(p: subprocess.Popen) -> list[str]:
    lines = []
    for line in p.stdout:
        if line.strip() == "done":
            return lines
        lines.append(line.strip())
    pytest.fail(f"a counter stopped early:\n{p.communicate()[1]}")


def test_two_counters_and_a_receipt_during_the_count(stock, db_url):
    codes = [f"S{i:03d}" for i in range(120)]
    receive("PHONE-X", codes)
    number = open_count("MAIN", ["PHONE-X"], operator="lead").number
    # ann counts 0..79, bob 40..119: 40 serials both scan, in opposite orders, so that they meet
    ann = start({"url": db_url, "number": number, "operator": "ann", "codes": codes[:80]})
    bob = start({"url": db_url, "number": number, "operator": "bob", "codes": codes[40:][::-1]})
    try:
        say(ann, "go")
        say(bob, "go")
        receive("PHONE-X", ["NEW-1", "NEW-2"])  # while they count
        out = {"ann": read_until_done(ann), "bob": read_until_done(bob)}
        say(ann, "totals")
        say(bob, "totals")
        totals = [json.loads(p.stdout.readline()[len("totals "):]) for p in (ann, bob)]
        for p in (ann, bob):
            p.communicate(timeout=60)
            assert p.returncode == 0
    finally:
        for p in (ann, bob):
            if p.poll() is None:
                p.kill()
    recorded = {who: {l.split()[1] for l in lines if l.startswith("ok ")} for who, lines in out.items()}
    assert not recorded["ann"] & recorded["bob"], "a serial counted by both"
    assert recorded["ann"] | recorded["bob"] == set(codes)
    for who, lines in out.items():
        other = "bob" if who == "ann" else "ann"
        for line in lines:
            if line.startswith("dup "):
                code = line.split()[1]
                assert code in recorded[other] and f"{other} scanned it at" in line, line
    assert totals[0] == totals[1] == ["122", "120", "2", "0"]  # the same for both; the receipt is expected
    assert [d.code for d in missing_serials(number)] == ["NEW-1", "NEW-2"] and extra_serials(number) == []
    adj = post_count(number, operator="lead")
    assert [(l.quantity, l.serials) for l in adj.lines] == [(-2, ["NEW-1", "NEW-2"])]
    assert stock_of("PHONE-X", "MAIN") == 120 and check() == []


def test_a_count_survives_its_counter_being_killed(stock, db_url):
    codes = [f"K{i:04d}" for i in range(400)]
    receive("PHONE-X", codes)
    number = open_count("MAIN", ["PHONE-X"], operator="lead").number
    p = start({"url": db_url, "number": number, "operator": "ann", "codes": codes, "pause": 0.002})
    try:
        say(p, "go")
        acknowledged = []
        deadline = time.monotonic() + 60
        while len(acknowledged) < 100 and time.monotonic() < deadline:
            line = p.stdout.readline().strip()
            if line.startswith("ok "):
                acknowledged.append(line.split()[1])
        os.kill(p.pid, signal.SIGKILL)  # mid-count, maybe mid-scan
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert len(acknowledged) >= 100
    view = get_count(number)  # opened again, as a counter reconnecting would
    [f] = view.figures
    assert view.status == "open" and f.counted >= len(acknowledged) and f.counted < len(codes)
    missing = {d.code for d in missing_serials(number, limit=None)}
    assert not missing & set(acknowledged)
    assert len(missing) == len(codes) - f.counted
    adj = post_count(number, operator="lead")
    assert stock_of("PHONE-X", "MAIN") == f.counted and check() == []
    assert sum(len(l.serials) for l in adj.lines) == len(missing)
