"""What a new user tripped over in a real terminal (a walk by someone who had not seen the code),
each as it was seen: keys and scans at choices, help and questions, the line form's fields."""

from __future__ import annotations

import re
import time

from .test_e2e_floor import new_issue, new_receipt


def at_goods(t):
    t.wait_for("Serial Numbers")
    t.press("2")
    t.wait_for("GR-")


def test_a_scan_at_the_new_document_choice_opens_nothing(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    at_goods(t)
    t.press("f4")
    t.wait_for("2. Goods issue")
    t.scan("SN-2001")  # holds a 2, which would choose "Goods issue"
    t.wait_for("Not used: 'SN-2001'")
    assert "New goods" not in t.text(), t.dump()
    assert "2. Goods issue" in t.text()


def test_a_scan_while_help_is_open_is_named_whole(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    new_receipt(t)
    t.press("f1")
    t.wait_for("Keys:")
    t.scan("qa-77")  # q used to close the help and lose the rest
    t.wait_for("Not used: 'qa-77'")
    assert "Keys:" in t.text()


def test_a_scan_at_a_question_is_named_exactly_once(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    t.wait_for("Serial Numbers")
    t.press("escape")
    t.wait_for("Quit serialstock?")
    t.scan("8594000000051")
    t.wait_for("Not used: '8594000000051'")
    assert t.alive() and "Quit serialstock?" in t.text()


def test_a_scan_split_in_two_packets_at_a_question_answers_nothing(run_app, db_file):
    """Over SSH a scan can come in two packets: `y`, 80 ms, `x-0001`⏎ at `Quit serialstock?` quit the app
    (the walk; a stock count's post question was answered the same way). It is named whole instead."""
    t = run_app(db_file, cols=20, rows=16)
    t.wait_for("Serial")
    t.press("escape")
    t.wait_for("Quit")
    t.write(b"y")
    time.sleep(0.08)
    t.write(b"x-0001\r")
    t.wait_for_words("Not used: 'yx-0001'")
    assert t.alive() and "Quit" in t.text(), t.dump()


def test_a_scan_split_in_two_packets_at_the_menu_opens_nothing_and_is_named_whole(run_app, db_file):
    """`4`, 80 ms, `006381333931`⏎ at the menu opened Sales Invoices with the rest in its search, and a split
    `L`+`T14-002617` was named `'L14-002617'` (the walk)."""
    t = run_app(db_file, cols=40, rows=16)
    t.wait_for("Serial Numbers")
    t.settle()
    for first, rest in ((b"4", b"006381333931\r"), (b"L", b"T14-002617\r")):
        t.write(first)
        time.sleep(0.08)
        t.write(rest)
        t.wait_for_words(f"Not used: '{(first + rest).decode().strip()}'")
        assert "esc Quit" in t.text() and "Type to search" not in t.text(), t.dump()  # still the menu
        time.sleep(1)


def test_a_digit_and_enter_in_one_packet_open_the_agenda(run_app, db_file):
    """A handheld keypad sends a typed `6` and its Enter in one packet: the menu refused it as a scan
    (`Not used: '6'`; the second walk). One key and Enter is no barcode: it opens the agenda."""
    t = run_app(db_file, cols=40, rows=8)
    t.wait_for("Serial Numbers")
    t.settle()
    t.write(b"6\r")
    t.wait_for("Price List")
    assert "Not used" not in t.text(), t.dump()


def test_an_ean_scanned_at_the_menu_is_named(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    t.wait_for("Serial Numbers")
    t.settle()
    bells = t.bells
    t.scan("8594000000013")
    t.wait_for_words("Not used: '8594000000013'")
    assert t.bells > bells and "Serials:" not in t.text()
    # the notification goes after a few seconds; ctrl+l still has it (it listed nothing at the menu)
    t.press("ctrl+l")
    t.wait_for("Refused on Menu: 1")
    t.wait_for_words("Not used: '8594000000013'")


def test_line_form_tab_moves_to_the_price_and_typing_replaces_the_quantity(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    new_receipt(t)
    t.scan("CABLE")
    t.wait_for("Quantity")
    t.type("3")
    t.press("tab")  # to Unit price, not OK
    t.type("2.5")
    t.press("enter")
    t.wait_for("2.50")
    row = t.row_with("CABLE")
    assert row is not None and " 3 " in row, t.dump()
    t.press("down")
    t.press("enter")  # edit the line: the quantity is selected, typing replaces it
    t.wait_for("Quantity")
    t.type("7")
    t.press("enter")
    t.wait_for(re.compile(r"CABLE\s+-\s+7\s"))


def test_a_two_digit_quantity_sent_in_one_packet_is_taken(run_app, db_file):
    t = run_app(db_file, cols=40, rows=8)
    new_receipt(t)
    t.scan("CABLE")
    t.wait_for("Quantity")
    time.sleep(0.2)
    t.write(b"12\r")  # a handheld that sends a typed field in one packet
    t.wait_for(re.compile(r"CABLE\s+-\s+12\s"))


def test_a_scan_into_the_item_field_replaces_what_was_typed(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    new_receipt(t)
    t.press("f4")
    t.wait_for("Item: code, EAN or name")
    t.type("x")
    time.sleep(0.3)  # a person who typed takes this long, at least, to pull the scanner's trigger
    t.scan("8594000000013")
    t.wait_for("Phone X")
    assert "x8594" not in t.text(), t.dump()


def test_ctrl_l_still_lists_a_bursts_refusals_back_on_the_document(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.scan("PHONE-X")
    t.wait_for("Quantity")
    t.type("2")
    t.press("enter")
    t.wait_for("0/2 short 2")
    t.write(b"K-1\rP-001\rK-2\r")  # P-001 is in stock
    t.wait_for("2/2 complete")
    t.press("f10")
    t.wait_for("2/2")
    t.press("ctrl+l")
    t.wait_for("Earlier, on other screens")
    t.wait_for_words("P-001 is already in stock")


def test_esc_in_the_picker_clears_the_filter_first(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_issue(t)
    t.scan("PHONE-X")
    t.wait_for("Quantity")
    t.type("1")
    t.press("enter")
    t.wait_for("0/1 short 1")
    t.type("P-01")
    t.wait_for("P-010")
    t.press("escape")
    t.wait_for("P-001")  # the filter is gone, the picker still open
    assert "0/1 short 1" in t.text()


def test_item_scan_and_quantity_in_one_burst(run_app, db_file):
    """The item's barcode and a one-digit quantity in one write (12 of 21 runs put the 3 in the
    document's scan field): the line form gets the 3."""
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.write(b"8594000000013\r3\r")
    t.wait_for("0/3 short 3")
    assert "No item has" not in t.text(), t.dump()


def test_f4_item_then_quantity_typed_replaces_the_proposed_one(run_app, db_file):
    t = run_app(db_file, cols=40, rows=16)
    new_receipt(t)
    t.press("f4")
    t.wait_for("Item: code")
    t.type("CABLE")
    t.press("enter")
    t.type("3")
    t.press("enter")
    t.wait_for(re.compile(r"CABLE\s+-\s+3\s"))


def test_a_list_pasted_into_the_documents_scan_field_is_said(run_app, db_file):
    t = run_app(db_file, cols=80, rows=24)
    new_receipt(t)
    t.write(b"\x1b[200~A-1\nA-2\nA-3\x1b[201~")  # bracketed paste
    t.wait_for_words("A list of 3 codes was pasted here")


def test_a_scan_at_the_menu_on_a_handheld_is_said_whole(run_app, db_file):
    """At 20x16 the notification of a scan at the menu was taller than the rows above the footer and
    its end (`up.`) was cut (screens.md Known problems). The short form fits."""
    t = run_app(db_file, cols=20, rows=16)
    t.wait_for("Serial")
    t.settle()
    t.scan("SN-2001")
    t.wait_for_words("Not used: 'SN-2001'; F2 looks it up.")
