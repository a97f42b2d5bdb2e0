"""A refusal carries its reason apart from its location; the location is added where it is shown."""

import pytest

from store.documents import check_serial
from store.errors import DocumentRefused, SerialNotAvailable
from tests.helpers import issue, receive


def test_a_line_problem_has_a_reason_and_a_location(stock):
    receive("PHONE-X", ["A1"])
    with pytest.raises(DocumentRefused) as e:
        issue("PHONE-X", ["NOPE"])
    [p] = e.value.problems
    assert p.reason == "serial NOPE is unknown for PHONE-X; only serials in stock can be issued."
    assert p.location == "Line 1 (PHONE-X)" and (p.line, p.item, p.serial) == (1, "PHONE-X", "NOPE")
    assert p.message == f"{p.location}: {p.reason}" == str(p)


def test_a_scan_outside_a_line_is_located_on_the_item_not_on_a_made_up_line(stock):
    with pytest.raises(SerialNotAvailable) as e:
        check_serial("issue", "PHONE-X", "NOPE")
    assert e.value.line is None and e.value.location == "PHONE-X"
    assert str(e.value) == "PHONE-X: serial NOPE is unknown for PHONE-X; only serials in stock can be issued."
    with pytest.raises(SerialNotAvailable) as e:
        check_serial("issue", "PHONE-X", "NOPE", line=3)
    assert str(e.value).startswith("Line 3 (PHONE-X): serial NOPE")


def test_an_import_problem_is_placed_by_facts_not_by_parsing_its_text(stock, tmp_path):
    from store.errors import ImportRefused
    from store.excel import import_file
    from tests.excel_helpers import doc_file

    path = doc_file(tmp_path / "issue.xlsx", [["1", "issue", None, "MAIN"]], [["1", 1, "PHONE-X", 1]],
                    [["1", 1, "NOPE"]])
    with pytest.raises(ImportRefused) as e:
        import_file(path, operator="t")
    [p] = e.value.problems
    assert p.message.endswith(": serial NOPE is unknown for PHONE-X; only serials in stock can be issued.")
    assert "Line 1 (PHONE-X)" not in p.message and (p.sheet, p.column) == ("Serials", "Serial")
