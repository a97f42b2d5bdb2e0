"""The Serial Numbers agenda and the lookup show where a serial came from and went to, and the agenda
filters by partner and receipt dates (F8)."""

from __future__ import annotations

import datetime as dt

from store import catalog
from store.documents import DocumentIn, LineIn, save_document
from store.lookups import lookup
from tests.tui_helpers import app_on, settle, small_price_list, status_text
from tui.agendas import SerialAgenda
from tui.lookup import describe_result


def setup_trace():
    small_price_list()
    catalog.create_partner("SUPP", "Supplier")
    catalog.create_partner("CUST", "Customer")
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 2, None, ["P1", "P2"])], partner="SUPP",
                             date=dt.date(2026, 1, 5)), operator="setup")
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["Q1"])], date=dt.date(2026, 2, 5)),
                  operator="setup")
    inv = save_document(DocumentIn("sales_invoice", [LineIn("PHONE-X", 1, None, ["P2"])], partner="CUST",
                                   date=dt.date(2026, 1, 20)), operator="setup")
    return inv


async def test_serial_agenda_filters_by_partner_and_dates_and_shows_them(sqlite_url):
    app = app_on(sqlite_url)
    setup_trace()
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, SerialAgenda)
        await pilot.press("f6", "f6")  # all statuses
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        app.screen.query_one("#f-received_from").value = "SUPP"
        app.screen.query_one("#f-received_after").value = "2026-01-01"
        app.screen.query_one("#f-received_before").value = "January"
        await pilot.press("f10")
        await settle(pilot)
        assert "not a date" in status_text(app.screen)  # refused, the form stays
        app.screen.query_one("#f-received_before").value = "2026-01-31"
        await pilot.press("f10")
        await settle(pilot)
        assert [r.code for r in agenda.rows] == ["P1", "P2"]
        assert "from SUPP" in str(agenda.query_one("#title").content)
        row = [str(c) for c in agenda.table.get_row_at(1)]
        assert row[0] == "P2" and row[6:] == ["SUPP", "CUST"]


def test_lookup_names_supplier_customer_and_invoice(stock):
    catalog.create_partner("SUPP", "Supplier")
    catalog.create_partner("CUST", "Customer")
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["L1"])], partner="SUPP",
                             date=dt.date(2026, 1, 5)), operator="t")
    inv = save_document(DocumentIn("sales_invoice", [LineIn("PHONE-X", 1, None, ["L1"])], partner="CUST",
                                   date=dt.date(2026, 1, 20)), operator="t")
    text = describe_result(lookup("L1"))
    assert "From SUPP 2026-01-05" in text and "To CUST 2026-01-20" in text
    assert f"for {inv.number}" in text and " out MAIN 01-20" in text


def test_lookup_without_partners_gives_the_dates_and_no_question_marks(stock):
    """A goods receipt and issue without a partner: the lookup said `From ? 2026-01-05` (the walk)."""
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["L1"])], date=dt.date(2026, 1, 5)),
                  operator="t")
    save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["L1"])], date=dt.date(2026, 1, 9)),
                  operator="t")
    text = describe_result(lookup("L1"))
    assert "Received 2026-01-05" in text and "Issued 2026-01-09" in text and "?" not in text


async def test_lookup_screen_says_who_has_it(sqlite_url):
    """F2 and a scan, through the app: an issued serial names its customer, the goods issue and the
    invoice it was made for; a serial in stock names its supplier."""
    from store.lookups import find_serial

    app = app_on(sqlite_url)
    inv = setup_trace()
    issue = find_serial("P2")[0].issued_by
    assert issue and issue != inv.number
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press(*"P2", "enter")
        await settle(pilot)
        answer = str(app.screen.query_one("#answer").content)
        assert "ISSUED from MAIN" in answer and "To CUST 2026-01-20" in answer
        assert f"   {issue}" in answer and f"for {inv.number}" in answer
        await pilot.press(*"P1", "enter")
        await settle(pilot)
        answer = str(app.screen.query_one("#answer").content)
        assert "IN STOCK MAIN" in answer and "From SUPP 2026-01-05" in answer and "To " not in answer
