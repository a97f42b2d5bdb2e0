"""One text rule for every code, name and serial, and NFC: two encodings of the same letters are one
serial or code (received as one, found and issued as the other)."""

from __future__ import annotations

import pytest

from serialstock.cli import main
from store import catalog
from store.errors import InvalidInput, InvalidSerial
from store.lookups import find_serial, list_serials
from store.serials import normalize_serial, refused_character

from .helpers import issue, receive
from .xlsx_parts import receipt_parts, write

NFC, NFD = "\u00c9-1", "E\u0301-1"


@pytest.mark.parametrize("ch", ["\u200b", "\u202e", "\x85", "\ufeff", "\u2028", "\ue000", "\x00", "\t"])
def test_the_same_characters_are_refused_in_codes_names_and_serials(stock, ch):
    assert refused_character(f"A{ch}B") is not None
    with pytest.raises(InvalidSerial, match=f"U\\+{ord(ch):04X}"):
        normalize_serial(f"A{ch}B")
    with pytest.raises(InvalidInput, match=f"Code contains .*U\\+{ord(ch):04X}"):
        catalog.create_item(f"PHONE{ch}-X", "Phone")
    with pytest.raises(InvalidInput, match=f"Name contains .*U\\+{ord(ch):04X}"):
        catalog.create_partner("P-1", f"Ac{ch}me")  # inside: trailing whitespace is trimmed


def test_letters_of_any_script_are_fine(stock):
    assert refused_character("Žluťoučký kůň 東京 ℕ") is None
    catalog.create_item("ŽLUŤ-1", "Žluťoučký kůň")


def test_two_encodings_are_one_serial(stock):
    receive("PHONE-X", [NFD])
    assert [s.code for s in find_serial(NFC)] == [NFC]
    assert [s.code for s in list_serials(prefix="E\u0301")] == [NFC]
    issue("PHONE-X", [NFC])
    with pytest.raises(Exception, match="not in stock"):
        issue("PHONE-X", [NFD])


def test_two_encodings_are_one_code(stock):
    catalog.create_item("CAF\u00c9", "Coffee")
    assert catalog.get_item("CAFE\u0301").code == "CAF\u00c9"
    with pytest.raises(Exception, match="CAFÉ"):
        catalog.create_item("CAFE\u0301", "Coffee again")


def test_the_import_says_how_many_serials_came_from_number_cells(stock, tmp_path, capsys, sqlite_url):
    path = write(tmp_path / "n.xlsx", receipt_parts(['<c s="2"><v>123</v></c>', 4567, "T-1"]))
    from store import db as dbm
    url = f"sqlite:///{dbm.db.obj.database}" if dbm.is_sqlite() else None
    if url is None:
        pytest.skip("the command line test runs on the SQLite database")
    assert main(["--db", url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 serial number(s) came from number cells" in out and "lost leading zeros" in out
    assert [s.code for s in find_serial("00123")] == ["00123"]
