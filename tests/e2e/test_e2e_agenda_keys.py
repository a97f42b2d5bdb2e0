"""Keys typed or scanned on an agenda reach its search field, all of them, in order."""

from __future__ import annotations

import pytest


def open_serials_agenda(run_app, db_file, cols, rows):
    t = run_app(db_file, cols=cols, rows=rows)
    t.wait_for("Serial Numbers")
    t.press("1")
    t.wait_for("P-001")
    return t


@pytest.mark.parametrize("size", [(80, 24), (20, 16)])
def test_typed_search_keeps_every_key(run_app, db_file, size):
    t = open_serials_agenda(run_app, db_file, *size)
    t.type("P-01")  # a person, ~8 keys a second
    # the search field (under the title) shows all four keys, and the list is filtered by them
    t.wait_for("P-001", gone=True, timeout=3)
    t.settle()
    assert t.screen()[1].strip() == "P-01", t.dump()
    assert t.row_with("P-010") is not None, t.dump()


def test_scan_on_the_list_searches_for_the_whole_code(run_app, db_file):
    t = open_serials_agenda(run_app, db_file, 40, 16)
    for code in ("P-007", "P-015", "P-003"):
        t.scan(code, end=b"")  # a scanner set to send no terminator
        t.wait_for("P-001", gone=True, timeout=3)
        t.settle()
        # the field holds the whole code and the list shows only that serial
        assert t.screen()[1].strip() == code, t.dump()
        assert [r.split()[0] for r in t.screen()[2:] if "PHONE-X" in r] == [code], t.dump()
        t.press("escape")
        t.wait_for("P-001")


def test_a_scan_after_a_scan_searches_for_itself(run_app, db_file):
    """`P-007`⏎ then `P-015`⏎ searched for `P-007P-015` (the walk): a scan made on the list replaces
    what the field held, as screens.md says; a key typed in the field itself still adds to it."""
    t = open_serials_agenda(run_app, db_file, 40, 16)
    for code in ("P-007", "P-015", "P-003"):
        t.scan(code)
        t.wait_for("P-001", gone=True, timeout=3)
        t.settle()
        assert t.screen()[1].strip() == code, t.dump()
        assert [r.split()[0] for r in t.screen()[2:] if "PHONE-X" in r] == [code], t.dump()


def test_two_scans_in_one_write_search_for_the_second_and_open_nothing(run_app, db_file):
    """`P-007`⏎`P-015`⏎ in one write searched for `P-007P-015`, and once the second Enter opened the
    history of the previous search's row (the second walk). The last scan is the search; nothing opens."""
    import time

    t = open_serials_agenda(run_app, db_file, 40, 16)
    for gap in (None, 0.05):
        if gap is None:
            t.write(b"P-007\rP-015\r")
        else:
            t.scan("P-003")
            time.sleep(gap)
            t.scan("P-012")
        code = "P-015" if gap is None else "P-012"
        t.wait_for("P-001", gone=True, timeout=3)
        t.settle()
        time.sleep(0.5)
        t.settle()
        assert t.screen()[1].strip() == code, t.dump()
        assert [r.split()[0] for r in t.screen()[2:] if "PHONE-X" in r] == [code], t.dump()
        assert t.screen()[0].strip().startswith("Serials:"), t.dump()  # the agenda, not a serial's history
