"""GS1 scans in a real terminal: the raw bytes a scanner sends (symbology identifier, GS as 0x1D), at
scanner speed; one scan gives the item and its serial."""

from __future__ import annotations

import re
import time

from .test_e2e_floor import new_issue, new_receipt, saved_serials

GTIN = "04006381333931"  # SCAN-9


def gs1(serial: str, gtin: str = GTIN, lot: str | None = "LOT7") -> str:
    return f"]d201{gtin}21{serial}" + (f"\x1d10{lot}" if lot else "")


def test_receiving_by_gs1_scans_fills_the_line(run_app, db_file):
    t = run_app(db_file, cols=20, rows=16)
    new_receipt(t)
    t.scan(gs1("ABC123"), per_byte=0.001)
    t.wait_for("SCAN-9")
    t.wait_for(re.compile(r"1/1\s+complete"))
    t.scan(gs1("ABC124"))  # the next unit: the line's quantity goes up by one
    t.wait_for(re.compile(r"2/2\s+complete"))
    t.press("ctrl+s")
    t.wait_for(re.compile(r"Saved\s+GR-"))
    assert saved_serials(db_file) == ["ABC123", "ABC124"]


def test_a_gs1_scan_of_another_item_is_refused_in_the_serial_entry(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.scan("SCAN-9")
    t.wait_for("Quantity")
    t.type("2")
    t.press("enter")
    t.wait_for("0/2 short 2")
    t.scan(gs1("T-1", gtin="00000012345670"), per_byte=0.001)
    t.wait_for_words("this code is for TAG-1")
    t.scan(gs1("N-1"))
    t.wait_for("1/2 short 1")
    t.scan("]d2" + "01" + GTIN + "\x1d10LOT9")  # no serial in it
    t.wait_for_words("carries no serial number")
    assert t.row_with("N-1") is not None and t.row_with("T-1") is None, t.dump()


def test_a_gs1_scan_picks_the_serial_when_issuing(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_issue(t)
    t.scan("SCAN-9")
    t.wait_for("Quantity")
    time.sleep(0.2)
    t.type("1")
    t.press("enter")
    t.wait_for("0/1 short 1")
    t.scan(gs1("S9-003", lot=None), per_byte=0.001)
    t.wait_for("1/1 complete")
    t.press("f10")
    t.press("ctrl+s")
    t.wait_for(re.compile(r"Saved\s+GI-"))
    assert saved_serials(db_file, "GI-") == ["S9-003"]


def test_lookup_takes_a_gs1_scan(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16, args=["lookup"])
    t.wait_for("Lookup")
    time.sleep(0.3)
    t.scan(gs1("S9-002"))
    t.wait_for("IN STOCK")
    assert "S9-002" in t.text()


def _saved_lots(db_file):
    import sqlite3

    con = sqlite3.connect(db_file)
    try:
        return con.execute("select s.code, s.lot, s.expiry from doc_line_serial s join doc_line l on l.id = s.line_id "
                           "where l.document_id = (select max(id) from document) order by s.id").fetchall()
    finally:
        con.close()


def test_lot_and_expiry_of_gs1_scans_show_on_the_line_and_are_saved(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    # DataMatrix: GTIN, expiry date (fixed length), serial, GS, lot: the bytes as a scanner sends them
    t.scan("]d201" + GTIN + "17270531" + "21LX-1" + "\x1d" + "10L-2026-7", per_byte=0.001)
    t.wait_for(re.compile(r"1/1\s+complete"))
    t.scan("]d201" + GTIN + "21LX-2" + "\x1d" + "10L-8")  # a lot, no expiry date
    t.wait_for(re.compile(r"2/2\s+complete"))
    t.press("f6")  # the line's serials
    t.wait_for("Scan or type serial")
    t.wait_for(re.compile(r"LX-1\s+lot L-2026-7\s+exp 2027-05-31"))
    assert re.search(r"LX-2\s+lot L-8\s*$", t.row_with("LX-2")), t.dump()
    t.press("f10")
    t.press("ctrl+s")
    t.wait_for(re.compile(r"Saved\s+GR-"))
    assert _saved_lots(db_file) == [("LX-1", "L-2026-7", "2027-05-31"), ("LX-2", "L-8", None)]


def test_a_gs1_scan_in_the_serial_entry_keeps_its_lot_and_a_typed_serial_has_none(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.scan("SCAN-9")
    t.wait_for("Quantity")
    t.type("2")
    t.press("enter")
    t.wait_for("0/2 short 2")
    t.scan(gs1("N-1", lot="LOT7") + "\x1d" + "17261130", per_byte=0.001)
    t.wait_for(re.compile(r"N-1\s+lot LOT7\s+exp 2026-11-30"))
    t.scan("N-2")  # typed or a plain barcode: no lot
    t.wait_for("2/2 complete")
    t.wait_for("(checking)", gone=True)
    assert re.search(r"N-2\s*$", t.row_with("N-2")), t.dump()
    t.press("f10")
    t.press("ctrl+s")
    t.wait_for(re.compile(r"Saved\s+GR-"))
    assert _saved_lots(db_file) == [("N-1", "LOT7", "2026-11-30"), ("N-2", None, None)]


def test_a_gs1_code_without_a_serial_adds_no_line_for_a_tracked_item(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.scan("]d201" + GTIN + "\x1d" + "10LOT9", per_byte=0.001)  # the product's code: no AI 21
    t.wait_for_words("carries no serial number")
    assert not any(row.strip().startswith("SCAN-9 ") for row in t.screen()) and "Quantity" not in t.text(), t.dump()
