"""Stock counts (issue 15): every rule both ways, posting and deleting the adjustment, the schema step."""

from __future__ import annotations

import pytest

from store import db as dbm
from store.check import check
from store.counts import (
    CountClosed,
    cancel_count,
    count_of_adjustment,
    count_quantity,
    extra_serials,
    get_count,
    list_counts,
    missing_serials,
    open_count,
    post_count,
    remove_scan,
    scan_serial,
)
from store.documents import DocumentIn, LineIn, delete_document, get_document, save_document
from store.errors import DocumentRefused, DuplicateSerial, InvalidInput, MovedSince, NotFound
from store.lookups import find_serial, stock_of
from store.migrations import SCHEMA_VERSION, schema_version
from tests.helpers import issue, receive, transfer


def fig(number, item):
    return next(f for f in get_count(number).figures if f.item == item)


def place(item, code):
    [s] = [s for s in find_serial(code) if s.item == item]
    return s.status, s.warehouse


@pytest.fixture
def floor(stock):
    """MAIN holds PHONE-X A1..A3, TAB-9 T1 and 10 CABLE; B holds PHONE-X B1; PHONE-X I1 was issued."""
    receive("PHONE-X", ["A1", "A2", "A3"])
    receive("PHONE-X", ["B1"], warehouse="B")
    receive("PHONE-X", ["I1"])
    issue("PHONE-X", ["I1"])
    receive("TAB-9", ["T1"])
    receive("CABLE", [], qty=10)
    return stock


# --- opening ----------------------------------------------------------------------------------

def test_open_count_records_warehouse_start_and_number(floor):
    c = open_count("MAIN", operator="ann")
    assert c.number.startswith("SC-") and c.status == "open" and c.warehouse == "MAIN" and c.items == []
    assert c.started_at is not None and c.operator == "ann"
    assert open_count("B", operator="ann").number != c.number
    assert [r.number for r in list_counts()][-1] == c.number


def test_count_in_a_warehouse_that_does_not_exist_is_refused(floor):
    with pytest.raises(NotFound, match="No warehouse with code NOPE"):
        open_count("NOPE", operator="ann")
    with pytest.raises(InvalidInput, match="needs the warehouse"):
        open_count("", operator="ann")
    assert list_counts() == []


def test_count_of_an_unknown_item_is_refused(floor):
    with pytest.raises(NotFound, match="No item NOPE in the price list"):
        open_count("MAIN", ["PHONE-X", "NOPE"], operator="ann")
    assert list_counts() == []
    c = open_count("MAIN", ["PHONE-X"], operator="ann")
    assert c.items == ["PHONE-X"] and [f.item for f in c.figures] == ["PHONE-X"]


# --- scanning ---------------------------------------------------------------------------------

def test_scans_are_expected_or_extra_with_the_reason(floor):
    n = open_count("MAIN", operator="ann").number
    assert scan_serial(n, "A1", operator="ann").expected
    r = scan_serial(n, "B1", operator="ann")
    assert (r.expected, r.why, r.where) == (False, "in another warehouse", "B")
    assert scan_serial(n, "I1", operator="ann").why == "issued"
    assert scan_serial(n, "NEW-1", item="PHONE-X", operator="ann").why == "unknown"
    r = scan_serial(n, "T1", item="PHONE-X", operator="ann")
    assert (r.why, r.where) == ("another item's serial", "TAB-9")
    f = fig(n, "PHONE-X")
    assert (f.expected, f.counted, f.missing, f.extra) == (3, 5, 2, 4)
    assert [d.code for d in missing_serials(n)] == ["A2", "A3", "T1"]
    assert [(d.code, d.text, d.scanned_by) for d in extra_serials(n)] == [
        ("B1", "in B", "ann"), ("I1", "issued", "ann"), ("NEW-1", "unknown", "ann"), ("T1", "serial of TAB-9", "ann")]


def test_a_serial_scanned_twice_is_refused_saying_who_scanned_it_first(floor):
    n = open_count("MAIN", operator="ann").number
    scan_serial(n, "A1", operator="ann")
    with pytest.raises(DuplicateSerial, match=r"serial A1 is counted already: ann scanned it at \d\d:\d\d UTC"):
        scan_serial(n, " A1 ", operator="bob")
    assert fig(n, "PHONE-X").counted == 1
    # the same code of another item is another serial; the same serial in another count is fine
    scan_serial(n, "A1", item="TAB-9", operator="bob")
    scan_serial(open_count("MAIN", operator="bob").number, "A1", operator="bob")


def test_an_unknown_serial_needs_its_item(floor):
    n = open_count("MAIN", operator="ann").number
    with pytest.raises(InvalidInput, match="Serial ZZ is unknown; choose its item"):
        scan_serial(n, "ZZ", operator="ann")
    with pytest.raises(NotFound, match="No item NOPE"):
        scan_serial(n, "ZZ", item="NOPE", operator="ann")
    with pytest.raises(InvalidInput, match="CABLE does not track serial numbers"):
        scan_serial(n, "ZZ", item="CABLE", operator="ann")
    assert scan_serial(n, "ZZ", item="8594000000013", operator="ann").item == "PHONE-X"  # by EAN


def test_an_items_own_code_scanned_as_a_serial_says_what_it_is(floor):
    """The EAN of an untracked item scanned at the count said `Serial 8594000000068 is unknown; choose
    its item` (the walk): it now says whose code it is and what to do."""
    from store.catalog import update_item

    update_item("CABLE", ean="8594000000068")
    n = open_count("MAIN", operator="ann").number
    with pytest.raises(InvalidInput, match="8594000000068 is the code of CABLE, which does not track serial numbers: "
                                           "type its counted quantity instead"):
        scan_serial(n, "8594000000068", operator="ann")
    with pytest.raises(InvalidInput, match="TAB-9 is the code of TAB-9, not a serial number"):
        scan_serial(n, "TAB-9", operator="ann")
    assert get_count(n).totals.counted == 0


def test_a_count_of_some_items_refuses_others(floor):
    n = open_count("MAIN", ["TAB-9"], operator="ann").number
    with pytest.raises(InvalidInput, match="serial A1 is a serial of PHONE-X, which SC-.* does not count"):
        scan_serial(n, "A1", operator="ann")
    with pytest.raises(InvalidInput, match="does not count PHONE-X; it counts TAB-9"):
        scan_serial(n, "A1", item="PHONE-X", operator="ann")
    with pytest.raises(InvalidInput, match="does not count CABLE"):
        count_quantity(n, "CABLE", 1, operator="ann")
    assert scan_serial(n, "T1", operator="ann").expected
    assert [f.item for f in get_count(n).figures] == ["TAB-9"]


def test_untracked_quantities_add_up_and_never_go_below_zero(floor):
    n = open_count("MAIN", operator="ann").number
    assert count_quantity(n, "CABLE", 6, operator="ann").counted == 6
    # typed in any case, as on a document line (the walk: `cable` was `No item cable in the price list`)
    assert count_quantity(n, "cable", "2", operator="bob").counted == 8
    assert count_quantity(n, "CABLE", -1, operator="bob").counted == 7
    with pytest.raises(InvalidInput, match="would make it negative"):
        count_quantity(n, "CABLE", -8, operator="bob")
    with pytest.raises(InvalidInput, match="PHONE-X is tracked by serial number; scan its serials"):
        count_quantity(n, "PHONE-X", 1, operator="bob")
    with pytest.raises(NotFound, match="No item NOPE"):
        count_quantity(n, "NOPE", 1, operator="bob")
    with pytest.raises(InvalidInput):
        count_quantity(n, "CABLE", "lots", operator="bob")
    f = fig(n, "CABLE")
    assert (f.expected, f.counted, f.difference, f.missing, f.extra) == (10, 7, -3, 3, 0)


def test_a_receipt_during_the_count_is_no_false_alarm(floor):
    n = open_count("MAIN", ["PHONE-X"], operator="ann").number
    for code in ("A1", "A2", "A3"):
        scan_serial(n, code, operator="ann")
    receive("PHONE-X", ["R1"])
    assert fig(n, "PHONE-X").missing == 1  # R1 is expected now, not scanned yet
    assert scan_serial(n, "R1", operator="bob").expected
    f = fig(n, "PHONE-X")
    assert (f.expected, f.counted, f.missing, f.extra) == (4, 4, 0, 0)


def test_totals_add_serials_and_count_untracked_items_apart(floor):
    """10 m of cable and 3 phones are not 13 of anything: the totals add serial numbers only, and say
    how many untracked items were counted other than expected (each is in the per-item figures)."""
    from store.catalog import create_item

    create_item("GLUE", "Glue", unit="kg", tracked=False)
    receive("GLUE", [], qty="2.5")
    n = open_count("MAIN", ["PHONE-X", "CABLE", "GLUE"], operator="ann").number
    for code in ("A1", "B1"):
        scan_serial(n, code, operator="ann")
    count_quantity(n, "CABLE", 8, operator="ann")
    count_quantity(n, "GLUE", "2.5", operator="ann")
    t = get_count(n).totals
    assert (t.expected, t.counted, t.missing, t.extra) == (3, 2, 2, 1)
    assert (t.untracked, t.untracked_differing) == (2, 1)  # the cable is off, the glue is not
    assert (fig(n, "CABLE").difference, fig(n, "GLUE").difference) == (-2, 0)


# --- posting ----------------------------------------------------------------------------------

def test_posting_makes_stock_what_was_counted(floor):
    n = open_count("MAIN", operator="ann").number
    for code in ("A1", "A2", "B1", "I1"):
        scan_serial(n, code, operator="ann")
    scan_serial(n, "NEW-1", item="PHONE-X", operator="bob")
    count_quantity(n, "CABLE", 7, operator="bob")
    adj = post_count(n, operator="carl")
    assert adj.kind == "adjustment" and adj.number.startswith("SA-") and adj.title == "Stock adjustment"
    assert [(l.item, l.quantity, l.serials, l.from_warehouse) for l in adj.lines] == [
        ("CABLE", -3, [], None), ("PHONE-X", -1, ["A3"], None), ("PHONE-X", 2, ["I1", "NEW-1"], None),
        ("PHONE-X", 1, ["B1"], "B"), ("TAB-9", -1, ["T1"], None)]
    for code in ("A1", "A2", "B1", "I1", "NEW-1"):
        assert place("PHONE-X", code) == ("in_stock", "MAIN")
    assert place("PHONE-X", "A3")[0] == "issued" and place("TAB-9", "T1")[0] == "issued"
    assert (stock_of("PHONE-X", "MAIN"), stock_of("PHONE-X", "B"), stock_of("CABLE", "MAIN")) == (5, 0, 7)
    assert stock_of("TAB-9", "MAIN") == 0
    assert check() == []
    # every movement is on the ledger with the adjustment posted from the count as its source
    [b1] = [s for s in find_serial("B1") if s.item == "PHONE-X"]
    assert [(m.document, m.warehouse, m.direction) for m in b1.history[-2:]] == [(adj.number, "B", -1), (adj.number, "MAIN", 1)]
    assert count_of_adjustment(adj.number) == n and get_count(n).adjustment == adj.number
    c = get_count(n)
    assert c.status == "posted" and c.closed_by == "carl"
    f = fig(n, "PHONE-X")
    assert (f.expected, f.counted, f.missing, f.extra) == (3, 5, 1, 3)


def test_posting_when_nothing_differs_makes_an_empty_adjustment(floor):
    n = open_count("MAIN", ["TAB-9"], operator="ann").number
    scan_serial(n, "T1", operator="ann")
    adj = post_count(n, operator="ann")
    assert adj.lines == [] and stock_of("TAB-9", "MAIN") == 1 and check() == []


def test_deleting_the_adjustment_reverses_it(floor):
    n = open_count("MAIN", operator="ann").number
    for code in ("A1", "B1", "I1"):
        scan_serial(n, code, operator="ann")
    count_quantity(n, "CABLE", 12, operator="ann")
    adj = post_count(n, operator="ann")
    delete_document(adj.number, operator="ann")
    assert place("PHONE-X", "B1") == ("in_stock", "B") and place("PHONE-X", "I1")[0] == "issued"
    assert place("PHONE-X", "A2") == ("in_stock", "MAIN")
    assert (stock_of("PHONE-X", "MAIN"), stock_of("CABLE", "MAIN")) == (3, 10)
    assert check() == []
    c = get_count(n)
    assert c.status == "posted" and c.adjustment == adj.number and c.adjustment_deleted
    with pytest.raises(NotFound):
        get_document(adj.number)


def test_deleting_the_adjustment_follows_the_rules_of_other_documents(floor):
    n = open_count("MAIN", ["PHONE-X"], operator="ann").number
    scan_serial(n, "B1", operator="ann")
    adj = post_count(n, operator="ann")
    issue("PHONE-X", ["B1"])  # B1 moved on after the adjustment brought it in
    with pytest.raises(DocumentRefused, match="Serial B1 .* has moved since"):
        delete_document(adj.number, operator="ann")
    assert place("PHONE-X", "B1")[0] == "issued" and check() == []


def test_posting_is_refused_when_a_scanned_serial_moved_since(floor):
    n = open_count("MAIN", ["PHONE-X"], operator="ann").number
    for code in ("A1", "A2", "A3"):
        scan_serial(n, code, operator="ann")
    issue("PHONE-X", ["A2"])
    with pytest.raises(DocumentRefused) as e:
        post_count(n, operator="ann")
    [p] = e.value.problems
    assert isinstance(p, MovedSince) and p.serial == "A2"
    assert "ann scanned it" in p.message and "it was in MAIN then and is issued now" in p.message
    assert get_count(n).status == "open" and place("PHONE-X", "A1") == ("in_stock", "MAIN")
    remove_scan(n, "A2", operator="ann")
    adj = post_count(n, operator="ann")
    assert adj.lines == [] and check() == []


def test_posting_is_refused_when_an_unknown_serial_was_received_since(floor):
    n = open_count("MAIN", ["PHONE-X"], operator="ann").number
    scan_serial(n, "NEW-1", item="PHONE-X", operator="ann")
    receive("PHONE-X", ["NEW-1"], warehouse="B")
    with pytest.raises(DocumentRefused, match="(?i)serial NEW-1 has moved since .* unknown then and is known now"):
        post_count(n, operator="ann")
    assert check() == []


def test_a_serial_moved_and_back_before_posting_posts(floor):
    n = open_count("MAIN", ["PHONE-X"], operator="ann").number
    for code in ("A1", "A2", "A3"):
        scan_serial(n, code, operator="ann")
    transfer("PHONE-X", ["A2"])
    transfer("PHONE-X", ["A2"], frm="B", to="MAIN")
    assert post_count(n, operator="ann").lines == []


# --- closing ----------------------------------------------------------------------------------

def test_a_cancelled_count_takes_nothing_more(floor):
    n = open_count("MAIN", operator="ann").number
    scan_serial(n, "A1", operator="ann")
    c = cancel_count(n, operator="bob")
    assert c.status == "cancelled" and c.closed_by == "bob"
    for call in (lambda: scan_serial(n, "A2", operator="ann"), lambda: count_quantity(n, "CABLE", 1, operator="ann"),
                 lambda: post_count(n, operator="ann"), lambda: cancel_count(n, operator="ann"),
                 lambda: remove_scan(n, "A1", operator="ann")):
        with pytest.raises(CountClosed, match="was cancelled"):
            call()
    assert stock_of("PHONE-X", "MAIN") == 3 and check() == []


def test_a_posted_count_is_read_only(floor):
    n = open_count("MAIN", ["TAB-9"], operator="ann").number
    post_count(n, operator="ann")
    for call in (lambda: scan_serial(n, "T1", operator="ann"), lambda: post_count(n, operator="ann"),
                 lambda: cancel_count(n, operator="ann")):
        with pytest.raises(CountClosed, match="is posted; a posted count is read-only"):
            call()
    assert stock_of("TAB-9", "MAIN") == 0


def test_unknown_count_is_not_found(floor):
    for call in (lambda: get_count("SC-1999-0001"), lambda: scan_serial("SC-1999-0001", "A1", operator="a"),
                 lambda: post_count("SC-1999-0001", operator="a")):
        with pytest.raises(NotFound, match="No stock count SC-1999-0001"):
            call()


def test_an_adjustment_cannot_be_entered_or_changed_by_hand(floor):
    with pytest.raises(InvalidInput, match="made by posting a stock count"):
        save_document(DocumentIn("adjustment", [LineIn("CABLE", 1)]), operator="ann")
    adj = post_count(open_count("MAIN", ["CABLE"], operator="ann").number, operator="ann")
    with pytest.raises(InvalidInput, match="cannot be changed by hand"):
        save_document(DocumentIn("adjustment", [LineIn("CABLE", 1)]), operator="ann", number=adj.number)
    assert stock_of("CABLE", "MAIN") == 0 and check() == []


def test_check_sees_an_adjustment_whose_stock_was_tampered_with(floor):
    """check() counts adjustments in the stock the documents add up to: it fails when they disagree."""
    post_count(open_count("MAIN", ["CABLE"], operator="ann").number, operator="ann")
    assert check() == []
    dbm.run_sql("UPDATE stock SET quantity = 5000 WHERE item_id = (SELECT id FROM item WHERE code = 'CABLE')")
    assert any("CABLE in MAIN: stock 5 but the documents add up to 0" in p for p in check())


# --- schema -----------------------------------------------------------------------------------

def test_a_schema_8_database_upgrades_to_9(db_url):
    from store import catalog

    database = dbm.connect(db_url)
    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    receive("PHONE-X", ["A1"])
    for table in ("stock_count_scan", "stock_count_item", "stock_count"):
        database.execute_sql(f"DROP TABLE {table}")
    from playhouse.migrate import migrate

    from store.migrations import _migrator

    legacy = {"legacy": True} if dbm.is_sqlite() else {}  # SQLite: the table is rebuilt without it,
    if dbm.is_sqlite():
        database.execute_sql("PRAGMA foreign_keys = OFF")  # which must not cascade to the lines' serials
    migrate(_migrator().drop_column("doc_line", "from_warehouse_id", **legacy))
    database.execute_sql("UPDATE setting SET value = '8' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION == 11  # through 9 (counts), 10 (roles), 11 (lot and expiry)
    assert "from_warehouse_id" in {c.name for c in dbm.db.get_columns("doc_line")}
    n = open_count("MAIN", operator="ann").number
    scan_serial(n, "A1", operator="ann")
    assert post_count(n, operator="ann").lines == [] and check() == []


def test_a_gs1_scan_counts_the_serial_it_carries_and_a_code_without_one_is_refused(floor):
    """A handheld's GS1 DataMatrix scan in a count was stored whole as an unknown serial, and posting the
    count put that text in stock and took the real unit out (the walk at 40x16). The GTIN names the item,
    AI 21 the serial; the group separator arrives as the scan field shows it (U+241D)."""
    from store.errors import InvalidSerial
    from store.gs1 import GS_SHOWN

    c = open_count("MAIN", operator="ann")
    r = scan_serial(c.number, "]d201085940000000132" + "1A2" + GS_SHOWN + "10LOT8", operator="ann")
    assert (r.item, r.code, r.expected) == ("PHONE-X", "A2", True)
    r = scan_serial(c.number, "010859400000001321A3\x1d17271231", operator="bob")  # GS itself, no prefix
    assert (r.item, r.code, r.expected) == ("PHONE-X", "A3", True)
    with pytest.raises(InvalidInput, match="carries no serial number"):
        scan_serial(c.number, "]d20108594000000013", operator="ann")
    with pytest.raises(InvalidInput, match="this code is of PHONE-X"):
        scan_serial(c.number, "]d2010859400000001321A1", item="TAB-9", operator="ann")
    with pytest.raises(NotFound, match="No item has the GTIN 04006381333931"):
        scan_serial(c.number, "]d20104006381333931215ABC", operator="ann")
    from store.serials import normalize_serial

    with pytest.raises(InvalidSerial, match="is a GS1 code, not a serial number"):  # anywhere a serial is taken
        normalize_serial("0104006381333931215ABC" + GS_SHOWN + "10LOT")
    assert [d.code for d in missing_serials(c.number)] == ["A1", "T1"]  # A2, A3 counted; TAB-9's T1 not
    assert not extra_serials(c.number)  # nothing unknown went in


def test_a_serial_a_count_took_out_is_said_so_when_issued(floor):
    """The walk: issuing a serial a count's adjustment had taken out said it `was issued by SA-…`."""
    n = open_count("MAIN", operator="ann").number
    for code in ("A1", "A2", "T1"):
        scan_serial(n, code, operator="ann")
    adj = post_count(n, operator="ann")
    with pytest.raises(DocumentRefused) as e:
        issue("PHONE-X", ["A3"])
    assert f"serial A3 was taken out of stock by {adj.number} on " in str(e.value)
    assert "was issued" not in str(e.value)
