"""Serial entry helpers: clean, split a pasted list, generate, range."""

import pytest

from store.errors import InvalidSerial
from store.serials import MAX_SERIAL_LENGTH, generate_serials, normalize_serial, serial_range, split_serials


def test_normalize_trims_and_keeps_case():
    assert normalize_serial("  Sn-001\t") == "Sn-001"


@pytest.mark.parametrize("raw, why", [
    ("", "empty"), ("   ", "empty"), ("SN\x07001", "control character"), ("SN\x1b[A", "control character"),
    ("X" * (MAX_SERIAL_LENGTH + 1), "at most 100"),
])
def test_normalize_refuses(raw, why):
    with pytest.raises(InvalidSerial, match=why):
        normalize_serial(raw)


def test_normalize_names_line_and_item():
    with pytest.raises(InvalidSerial) as e:
        normalize_serial("", line=2, item="PHONE-X")
    assert str(e.value).startswith("Line 2 (PHONE-X): ")
    assert (e.value.line, e.value.item) == (2, "PHONE-X")


def test_split_pasted_list():
    assert split_serials("A1\nA2, A3;A4\r\n\n  A5  \tA6\n,;") == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert split_serials("") == []
    assert split_serials("A1\nA1") == ["A1", "A1"]  # repeats are kept, to be refused by name


def test_generate_counts_up_the_last_digits_keeping_padding():
    assert generate_serials("SN-0098", 5) == ["SN-0098", "SN-0099", "SN-0100", "SN-0101", "SN-0102"]
    assert generate_serials("A7-009-X", 3) == ["A7-009-X", "A7-010-X", "A7-011-X"]
    assert generate_serials("98", 3) == ["98", "99", "100"]
    assert generate_serials("SN1", 1) == ["SN1"]


def test_generate_refuses_no_digits_and_bad_counts():
    with pytest.raises(InvalidSerial, match="no digits"):
        generate_serials("SN-ABC", 3)
    with pytest.raises(InvalidSerial, match="at least 1"):
        generate_serials("SN-1", 0)
    with pytest.raises(InvalidSerial, match="At most"):
        generate_serials("SN-1", 10**6)


def test_range():
    assert serial_range("SN-0098", "SN-0101") == ["SN-0098", "SN-0099", "SN-0100", "SN-0101"]
    assert serial_range("B9", "B11") == ["B9", "B10", "B11"]
    with pytest.raises(InvalidSerial, match="one pattern"):
        serial_range("SN-0098", "XN-0101")
    with pytest.raises(InvalidSerial, match="one pattern"):
        serial_range("SN-0098", "SN-102")
    with pytest.raises(InvalidSerial, match="before it starts"):
        serial_range("SN-0010", "SN-0001")


@pytest.mark.parametrize("first", ["SN-\uff10\uff19\uff18", "SN-\u0660\u0669\u0668"])  # full-width, Arabic-Indic
def test_only_digits_0_to_9_count_up_other_digits_are_refused_as_no_digits(first):
    with pytest.raises(InvalidSerial, match="no digits 0-9"):
        generate_serials(first, 3)


def test_other_digits_stay_as_typed_and_the_first_generated_is_the_one_typed():
    first = "\uff10\uff19-SN-098"
    assert generate_serials(first, 3) == [first, "\uff10\uff19-SN-099", "\uff10\uff19-SN-100"]
