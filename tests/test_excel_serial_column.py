"""serials_from_column: a supplier's list of serial numbers from one column of an .xlsx, for the serial
entry form (which counts them against the quantity like any other entry)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store.errors import FileRefused, ImportRefused
from store.excel import serials_from_column

from .excel_helpers import write_book

FIXTURE = Path(__file__).parent / "fixtures" / "written_by_xlsxwriter.xlsx"


def test_by_header_name_in_any_case(tmp_path):
    path = write_book(tmp_path / "list.xlsx", {"Delivery": [
        ["Pos", "Model", "SERIAL NUMBER"], [1, "X", " SN-1 "], [2, "X", 12345], [3, "X", None], [4, "X", 12346.0],
        [None, None, None], [None, None, "   "],
    ]})
    assert serials_from_column(path, "serial number") == ["SN-1", "12345", "12346"]
    assert serials_from_column(path) == ["SN-1", "12345", "12346"]  # found by its header


def test_by_letter_or_number_with_or_without_a_header(tmp_path):
    path = write_book(tmp_path / "list.xlsx", {"S": [["A-1", "x"], ["A-2", "y"], [3, "z"]]})
    assert serials_from_column(path, "A") == ["A-1", "A-2", "3"]  # no header row: every value counts
    assert serials_from_column(path, 2) == ["x", "y", "z"]
    headed = write_book(tmp_path / "headed.xlsx", {"S": [["x", "S/N"], ["a", "B-1"]]})
    assert serials_from_column(headed, "B") == ["B-1"]  # a first row headed like a serial column is skipped


def test_a_single_column_list_needs_no_name(tmp_path):
    path = write_book(tmp_path / "list.xlsx", {"S": [["Q-1"], ["Q-2"]]})
    assert serials_from_column(path) == ["Q-1", "Q-2"]


def test_choose_the_sheet(tmp_path):
    path = write_book(tmp_path / "list.xlsx", {"First": [["Serial"], ["F-1"]], "Second": [["Serial"], ["S-1"]]})
    assert serials_from_column(path, sheet="second") == ["S-1"]
    with pytest.raises(FileRefused, match="no sheet Third; it has First, Second"):
        serials_from_column(path, sheet="Third")


def test_a_file_from_another_program():
    assert serials_from_column(FIXTURE, "serial", sheet="serials") == ["12345", "SN-A1", "SN-A2", "987654321012",
                                                                       "12345", "SN-A1"]


def test_refusals(tmp_path):
    path = write_book(tmp_path / "list.xlsx", {"S": [["Serial", "Note"], ["OK-1"], [dt.date(2026, 1, 2)], [True]]})
    with pytest.raises(ImportRefused) as info:
        serials_from_column(path, "Serial")
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "A"), (4, "A")]
    assert "a date or time (2026-01-02)" in info.value.problems[0].message
    with pytest.raises(FileRefused, match="has no column Serial number"):
        serials_from_column(path, "Serial number")
    two = write_book(tmp_path / "two.xlsx", {"S": [["Code", "Qty"], ["A", 1]]})
    with pytest.raises(FileRefused, match="Which column"):
        serials_from_column(two)
    (tmp_path / "x.xlsx").write_text("SN-1\nSN-2\n")
    with pytest.raises(FileRefused, match="not an .xlsx workbook"):
        serials_from_column(tmp_path / "x.xlsx")
