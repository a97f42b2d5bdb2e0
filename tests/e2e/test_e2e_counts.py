"""Stock counts in a real terminal at 20x16 (issue 15): open a count from the menu, scan at a scanner's
speed, see the totals, list missing and extra, post; and a count that survives the app being killed."""

from __future__ import annotations

import re
import sqlite3
import time


def scans_of(db_file) -> list[tuple[str, str]]:
    con = sqlite3.connect(db_file)
    try:
        return con.execute("SELECT code, operator FROM stock_count_scan ORDER BY id").fetchall()
    finally:
        con.close()


def open_new_count(t) -> None:
    t.wait_for("Serial Numbers")
    t.settle()  # the menu has the focus: End goes to it
    t.press("end")  # the 10th agenda, the last
    t.press("enter")
    t.wait_for("Type to search")
    t.press("f4")
    t.wait_for("Count which")
    t.press("enter")  # the default warehouse, MAIN, first
    t.wait_for(re.compile(r"SC-\d{4}-\d{4}"))


def test_count_by_scanning_at_20x16(run_app, db_file):
    t = run_app(db_file, cols=20, rows=16)
    open_new_count(t)
    for i in range(1, 19):  # P-019 and P-020 stay on the shelf, and SCAN-9's five S9-0nn
        t.scan(f"P-{i:03d}")
    t.wait_for_words("Exp 25 Cnt 18 Miss 7 Extra 0")
    bells = t.bells
    t.scan("P-005")  # twice
    t.wait_for_words("counted already")
    assert t.bells > bells
    t.press("f3")  # the item of serials not known yet
    t.wait_for("Item code")
    t.scan("PHONE-X")  # its Enter saves the one-field form
    t.wait_for_words("Unknown serials")
    t.scan("NEW-77")
    t.wait_for_words("Exp 25 Cnt 19 Miss 7 Extra 1")
    text = t.text()
    assert "Exp 25" in text, t.dump()
    t.press("f5")
    t.wait_for("P-019")
    screen = t.text()
    assert "P-020" in screen and "NEW-77" in screen and "unknown" in screen
    t.press("escape")
    t.wait_for("Miss 7")
    t.press("f10")
    t.wait_for_words("Post SC-")
    t.press("y")
    t.wait_for(re.compile(r"posted\s+as\s+SA-"))
    assert [c for c, _ in scans_of(db_file)] == [f"P-{i:03d}" for i in range(1, 19)] + ["NEW-77"]
    con = sqlite3.connect(db_file)
    try:
        in_stock = {r[0] for r in con.execute("SELECT code FROM serial_number WHERE status = 'in_stock'")}
    finally:
        con.close()
    assert in_stock == {f"P-{i:03d}" for i in range(1, 19)} | {"NEW-77"}


def test_a_count_survives_the_app_being_killed(run_app, db_file):
    t = run_app(db_file, cols=20, rows=16)
    open_new_count(t)
    for i in range(1, 11):
        t.scan(f"P-{i:03d}")
    t.wait_for_words("Cnt 10")
    t.kill()  # SIGKILL: the terminal dies mid-count
    assert len(scans_of(db_file)) == 10
    t2 = run_app(db_file, cols=20, rows=16, operator="bruno")
    t2.wait_for("Serial Numbers")
    t2.settle()
    t2.press("end")
    t2.press("enter")
    t2.wait_for("Type to search")
    t2.wait_for("open")
    t2.press("enter")
    t2.wait_for_words("Exp 25 Cnt 10 Miss 15")
    t2.scan("P-011")
    t2.wait_for_words("Cnt 11")
    t2.scan("P-003")
    t2.wait_for_words("counted already: anna")
    time.sleep(0.2)
    assert scans_of(db_file)[-1] == ("P-011", "bruno")


def test_a_gs1_scan_counts_its_serial_at_40x16(run_app, db_file):
    """The walk: a GS1 DataMatrix scan (0x1D between fields) in a count was stored whole as an unknown
    serial, and posting made that text a serial in stock. It counts the serial it carries."""
    t = run_app(db_file, cols=40, rows=16)
    open_new_count(t)
    t.scan("]d20104006381333931" + "21S9-002" + "\x1d" + "10LOT7", per_byte=0.001)  # SCAN-9's S9-002
    t.wait_for_words("S9-002 SCAN-9: counted")
    t.scan("]d20104006381333931" + "10LOT7")  # the product's code, no serial
    t.wait_for_words("carries no serial number")
    assert scans_of(db_file) == [("S9-002", "anna")]
