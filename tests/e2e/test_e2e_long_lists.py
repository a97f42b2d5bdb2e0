"""A list of a few thousand serials in a real terminal at 40x16: PgDn and ctrl+End reach the last one,
ctrl+Home the first, and the header says where the cursor is."""

from __future__ import annotations

import re
import time

import pytest

N = 3_000


@pytest.fixture
def many_db(tmp_path):
    from store import catalog
    from store import db as dbm
    from store.documents import DocumentIn, LineIn, save_document

    path = tmp_path / "many.db"
    database = dbm.connect(f"sqlite:///{path}")
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90")
    codes = [f"M{i:05d}" for i in range(1, N + 1)]
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", N, None, codes)]), operator="seed")
    database.close()
    return path


def position(t) -> tuple[int, int] | None:
    m = re.search(r"([\d,]+) of ([\d,]+)", t.screen()[2])
    return m and (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")))


def test_pgdn_and_ctrl_end_reach_the_last_of_thousands(run_app, many_db):
    t = run_app(many_db, cols=40, rows=16)
    t.wait_for("Serial Numbers")
    t.press("1")
    t.wait_for("M00001")
    t.wait_for(f"1 of {N:,}")
    t.press("ctrl+end")
    t.wait_for(f"{N:,} of {N:,}", timeout=5)
    t.wait_for(f"M{N:05d}")
    assert t.row_with(f"M{N:05d}") is not None, t.dump()
    t.press("ctrl+home")
    t.wait_for(f"1 of {N:,}", timeout=5)
    t.wait_for("M00001")
    # PgDn, held: a key every 20 ms, all the way down (the window slides many times on the way)
    deadline = time.monotonic() + 60
    while position(t) != (N, N):
        assert time.monotonic() < deadline, t.dump()
        t.write(b"\x1b[6~" * 10)
        time.sleep(0.2)
        t.settle(quiet=0.05, timeout=1)
    assert t.row_with(f"M{N:05d}") is not None, t.dump()
    # and back up by PgUp to the first
    deadline = time.monotonic() + 60
    while position(t) != (1, N):
        assert time.monotonic() < deadline, t.dump()
        t.write(b"\x1b[5~" * 10)
        time.sleep(0.2)
        t.settle(quiet=0.05, timeout=1)
    assert t.row_with("M00001") is not None, t.dump()
