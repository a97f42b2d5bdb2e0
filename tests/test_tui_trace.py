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


async def test_lookup_says_how_many_movements_it_leaves_out_and_f6_lists_them_all(sqlite_url):
    """A serial with 10 movements: the lookup listed the 5 newest and never said there were more, so the
    receipt it came in by was nowhere (the second walk). It now says so, and F6 opens the whole history."""
    from tui.agendas import SerialHistoryScreen
    from tui.lookup import LookupScreen

    app = app_on(sqlite_url)
    small_price_list()  # warehouses MAIN and B
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["M1"])], date=dt.date(2026, 1, 2)),
                  operator="setup")
    for day in range(3, 7):  # 4 transfers: 8 movements, then the issue
        a, b = ("MAIN", "B") if day % 2 else ("B", "MAIN")
        save_document(DocumentIn("transfer", [LineIn("PHONE-X", 1, None, ["M1"])], warehouse=a, to_warehouse=b,
                                 date=dt.date(2026, 1, day)), operator="setup")
    save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["M1"])], date=dt.date(2026, 1, 9)),
                  operator="setup")
    text = describe_result(lookup("M1"))
    assert "5 earlier movements: F6 lists all" in text and " in MAIN 01-02" not in text
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press(*"M1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, SerialHistoryScreen)
        assert "10 of 10" in "".join(s.text for s in app.screen.table.render_line(0)) or \
            app.screen.table.total == 10


async def test_the_partner_filter_fits_a_handheld_takes_any_case_and_lists_partners(sqlite_url):
    """F8 at 20x16: its labels were cut mid-word (`Received on or a` / `Received on or b`), `supp` was
    `No partner with code supp.` and F4 did nothing (the second walk)."""
    from textual.widgets import Label

    from tui.code_picker import CodePicker
    from tui.dialogs import RecordForm

    app = app_on(sqlite_url)
    setup_trace()
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        await pilot.press("f6", "f6")  # all statuses
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        labels = [label for label in form.query(Label) if label.display]
        for label, (_, texts) in zip(labels, SerialAgenda.TRACE_FIELDS):
            shown = str(label.content)
            assert shown in texts and len(shown) <= label.content_region.width, (shown, texts)  # whole
        assert str(labels[2].content) != str(labels[3].content)  # after and before told apart
        await pilot.press("f4")  # the partners
        await settle(pilot)
        assert isinstance(app.screen, CodePicker)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press(*"supp")
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is agenda, status_text(app.screen)
        assert [r.code for r in agenda.rows] == ["P1", "P2"]
        assert "from SUPP" in str(agenda.query_one("#title").content)


def test_a_serial_written_off_by_a_stock_count_does_not_read_as_issued(stock):
    """A serial missing at a count goes out by the count's stock adjustment; the lookup said `ISSUED from
    MAIN`, which reads as a sale (the walk). It says written off, by which adjustment."""
    from store.counts import open_count, post_count

    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 2, None, ["W1", "W2"])], date=dt.date(2026, 1, 5)),
                  operator="t")
    n = open_count("MAIN", ["PHONE-X"], operator="t").number
    from store.counts import scan_serial

    scan_serial(n, "W1", operator="t")
    adj = post_count(n, operator="t")
    text = describe_result(lookup("W2"))
    assert "WRITTEN OFF from MAIN" in text and f"by {adj.number} (missing at a count)" in text
    assert "ISSUED" not in text
    assert "IN STOCK MAIN" in describe_result(lookup("W1"))
