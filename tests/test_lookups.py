"""Lookups: a serial by code, stock per item and warehouse, serial lists paged by keyset."""

from store.documents import DocumentIn, LineIn, save_document
from store.lookups import find_serial, list_serials, oldest_in_stock, stock_levels
from store.serials import generate_serials
from tests.helpers import issue, receive, transfer


def test_find_serial_shows_every_item_with_status_place_and_history(stock):
    gr = receive("PHONE-X", ["S1"])
    receive("TAB-9", ["S1"], warehouse="B")
    gi = issue("PHONE-X", ["S1"], operator="bob")
    found = {s.item: s for s in find_serial(" S1 ")}
    assert (found["PHONE-X"].status, found["PHONE-X"].issued_by) == ("issued", gi.number)
    assert (found["TAB-9"].status, found["TAB-9"].warehouse) == ("in_stock", "B")
    assert [(m.document, m.label, m.operator) for m in found["PHONE-X"].history] == [
        (gr.number, "in", "tester"), (gi.number, "out", "bob")]
    assert find_serial("nothing") == [] and find_serial("") == []


def test_list_serials_filters(stock):
    receive("PHONE-X", ["A1", "A2", "B1"])
    receive("TAB-9", ["A3"], warehouse="B")
    issue("PHONE-X", ["A2"])
    assert [s.code for s in list_serials()] == ["A1", "A3", "B1"]
    assert [s.code for s in list_serials(status=None)] == ["A1", "A2", "A3", "B1"]
    assert [s.code for s in list_serials(status="issued")] == ["A2"]
    assert [s.code for s in list_serials(item="PHONE-X", prefix="A")] == ["A1"]
    assert [s.code for s in list_serials(warehouse="B")] == ["A3"]
    assert list_serials(item="NOPE") == [] and list_serials(warehouse="NOPE") == []


def test_list_serials_pages_by_keyset_without_gaps_or_repeats(stock):
    codes = generate_serials("K-0001", 250)
    receive("PHONE-X", codes)
    seen, after = [], None
    while True:
        page = list_serials(item="PHONE-X", after=after, limit=40)
        if not page:
            break
        seen += [s.code for s in page]
        after = (page[-1].code, page[-1].id)
    assert seen == codes
    back = list_serials(item="PHONE-X", after=("K-0101", 10**9), descending=True, limit=3)
    assert [s.code for s in back] == ["K-0101", "K-0100", "K-0099"]


def test_prefix_is_literal(stock):
    receive("PHONE-X", ["A%1", "A_2", "AB3"])
    assert [s.code for s in list_serials(prefix="A%")] == ["A%1"]
    assert [s.code for s in list_serials(prefix="A_")] == ["A_2"]


def test_stock_levels_per_item_and_warehouse(stock):
    receive("PHONE-X", ["A1", "A2"])
    receive("PHONE-X", ["A3"], warehouse="B")
    save_document(DocumentIn("receipt", [LineIn("CABLE", "7.25")]), operator="t")
    rows = [(r.item, r.warehouse, r.quantity) for r in stock_levels()]
    assert rows == [("CABLE", "MAIN", 7.25), ("PHONE-X", "B", 1), ("PHONE-X", "MAIN", 2)]
    assert [(r.item, r.warehouse) for r in stock_levels(after=("PHONE-X", "B"))] == [("PHONE-X", "MAIN")]
    assert [r.warehouse for r in stock_levels(item="PHONE-X", warehouse="B")] == ["B"]


def test_oldest_in_stock_is_first_in_first_out(stock):
    receive("PHONE-X", ["OLD1", "OLD2"])
    receive("PHONE-X", ["NEW1"])
    transfer("PHONE-X", ["OLD2"])
    assert oldest_in_stock("PHONE-X", "MAIN", 2) == ["OLD1", "NEW1"]
    assert oldest_in_stock("PHONE-X", "MAIN", 2, exclude={"OLD1"}) == ["NEW1"]


def test_lookup_finds_serial_item_code_and_ean(stock):
    from store.lookups import lookup

    gr = receive("PHONE-X", ["L1", "L2"])
    issue("PHONE-X", ["L2"])
    r = lookup(" L2 ")
    assert [(s.item, s.status) for s in r.serials] == [("PHONE-X", "issued")] and r.items == []
    assert [m.label for m in r.serials[0].history] == ["in", "out"]
    r = lookup("8594000000013")  # the EAN
    assert r.serials == [] and [(i.code, i.serials_in_stock) for i in r.items] == [("PHONE-X", 1)]
    assert [(s.warehouse, s.quantity) for s in r.items[0].stock] == [("MAIN", 1)]
    assert lookup("PHONE-X").items[0].name == "Phone X"
    assert not lookup("nothing").found and not lookup("").found
    assert lookup("L1").serials[0].received_by == gr.number


def test_stock_levels_search_by_code_or_name(stock):
    receive("PHONE-X", ["S1"])
    save_document(DocumentIn("receipt", [LineIn("CABLE", 2)]), operator="t")
    assert [r.item for r in stock_levels(search="PHO")] == ["PHONE-X"]
    assert [r.item for r in stock_levels(search="usb")] == ["CABLE"]  # "USB cable", any letter case
    assert stock_levels(search="nothing") == []


def test_a_serials_history_a_page_at_a_time_both_ways(stock):
    """store.agendas.history_rows: the movements of one serial in order, by keyset, forward and back, with
    the count; the same rows as find_serial's whole history (the serial history screen pages it)."""
    from store.agendas import count_history, history_rows

    numbers = []
    for _ in range(4):
        numbers += [receive("PHONE-X", ["H1"]).number, issue("PHONE-X", ["H1"]).number]
    receive("TAB-9", ["H1"])  # another item's serial of the same code is another history
    [serial] = [s for s in find_serial("H1") if s.item == "PHONE-X"]
    assert count_history(serial.id) == 8
    forward, after = [], None
    while True:
        page = history_rows(serial.id, after=after, limit=3)
        forward += page
        if len(page) < 3:
            break
        after = page[-1].id
    assert [m.document for m in forward] == numbers == [m.document for m in serial.history]
    assert [m.label for m in forward] == ["in", "out"] * 4
    back = history_rows(serial.id, descending=True, limit=3)
    back += history_rows(serial.id, after=back[-1].id, descending=True, limit=10)
    assert [m.document for m in back] == numbers[::-1]
    assert history_rows(serial.id, after=forward[-1].id) == []
