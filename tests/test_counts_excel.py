"""Excel for stock counts (issue 15): a count's result exported, a scanner's file imported into a count."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from store.counts import count_quantity, get_count, open_count, post_count, scan_serial
from store.errors import FileRefused, ImportRefused
from store.excel.counts import export_count, import_count_scans
from tests.helpers import receive


@pytest.fixture
def counted(stock):
    receive("PHONE-X", ["A1", "A2", "A3"])
    receive("PHONE-X", ["B1"], warehouse="B")
    receive("CABLE", [], qty=10)
    n = open_count("MAIN", operator="ann").number
    scan_serial(n, "A1", operator="ann")
    scan_serial(n, "B1", operator="bob")
    count_quantity(n, "CABLE", 7, operator="ann")
    return n


def sheet(path, name):
    return [list(r) for r in load_workbook(path, read_only=True)[name].iter_rows(values_only=True)]


def test_export_a_counts_result(counted, tmp_path):
    path = tmp_path / "count.xlsx"
    assert export_count(counted, path) == 2 + 2 + 1
    figures = sheet(path, "Figures")
    assert figures[0] == ["Item", "Name", "Tracked", "Expected", "Counted", "Missing", "Extra", "Difference"]
    assert figures[1:] == [["CABLE", "USB cable", "no", 10, 7, 3, 0, -3], ["PHONE-X", "Phone X", "yes", 3, 2, 2, 1, -1]]
    assert sheet(path, "Missing") == [["Item", "Serial"], ["PHONE-X", "A2"], ["PHONE-X", "A3"]]
    [head, b1] = sheet(path, "Extra")
    assert b1[:5] == ["PHONE-X", "B1", "in another warehouse", "B", "bob"] and b1[5] is not None
    # of a posted count: what its adjustment moved
    post_count(counted, operator="ann")
    export_count(counted, path)
    assert sheet(path, "Missing")[1:] == [["PHONE-X", "A2"], ["PHONE-X", "A3"]]


def write_column(path, values, header="Serial"):
    wb = Workbook()
    ws = wb.active
    if header:
        ws.append([header])
    for v in values:
        ws.append([v])
    wb.save(path)


def test_import_a_scanners_file_into_a_count(counted, tmp_path):
    path = tmp_path / "scanner.xlsx"
    write_column(path, ["A2", 12345, "", "A3"])
    results = import_count_scans(counted, path, operator="carl", item="PHONE-X")
    assert [(r.code, r.expected) for r in results] == [("A2", True), ("12345", False), ("A3", True)]
    f = next(f for f in get_count(counted).figures if f.item == "PHONE-X")
    assert (f.counted, f.missing, f.extra) == (5, 0, 2)


def test_a_scanners_file_with_a_serial_counted_already_imports_nothing(counted, tmp_path):
    path = tmp_path / "scanner.xlsx"
    write_column(path, ["A2", "A1", "A3"], header=None)
    with pytest.raises(ImportRefused, match=r"serial A1 is counted already: ann scanned it") as e:
        import_count_scans(counted, path, operator="carl")
    assert [p.serial for p in e.value.problems] == ["A1"]
    assert next(f for f in get_count(counted).figures if f.item == "PHONE-X").counted == 2
    bad = tmp_path / "not.xlsx"
    bad.write_text("A2\nA3\n")
    with pytest.raises(FileRefused):
        import_count_scans(counted, bad, operator="carl")
