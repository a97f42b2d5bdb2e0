"""Tracing a serial from supplier to customer: each movement carries its document's date, partner and
the invoice behind a generated document; serials are listed by partner and receipt dates."""

import datetime as dt

from store import catalog
from store.documents import DocumentIn, LineIn, delete_document, save_document
from store.lookups import find_serial, list_serials
from tests.api_fixtures import api  # noqa: F401  (fixture)
from tests.helpers import issue, receive, transfer

D = dt.date


def _partners():
    catalog.create_partner("SUPP", "Supplier s.r.o.")
    catalog.create_partner("CUST", "Customer a.s.")


def test_history_entries_carry_document_date_partner_and_invoice(stock):
    _partners()
    inv = save_document(DocumentIn("purchase_invoice", [LineIn("PHONE-X", 1, None, ["T1"])], partner="SUPP",
                                   date=D(2026, 2, 3)), operator="o")
    gi = issue("PHONE-X", ["T1"], partner="CUST", date=D(2026, 2, 10))
    [t1] = find_serial("T1")
    assert [(m.document, m.date, m.partner, m.invoice) for m in t1.history] == [
        (inv.generated, D(2026, 2, 3), "SUPP", inv.number), (gi.number, D(2026, 2, 10), "CUST", None)]
    assert (t1.received_from, t1.received_on, t1.issued_to, t1.issued_on) == ("SUPP", D(2026, 2, 3), "CUST",
                                                                              D(2026, 2, 10))


def test_serials_listed_by_supplier_and_receipt_dates_with_where_each_is_now(stock):
    _partners()
    receive("PHONE-X", ["A1", "A2", "A3"], partner="SUPP", date=D(2026, 1, 5))
    receive("PHONE-X", ["B1"], partner="SUPP", date=D(2026, 2, 5))
    receive("PHONE-X", ["C1"], partner="ACME", date=D(2026, 1, 6))
    receive("TAB-9", ["A9"], partner="SUPP", date=D(2026, 1, 7))
    issue("PHONE-X", ["A2"], partner="CUST", date=D(2026, 1, 20))
    transfer("PHONE-X", ["A3"], to="B")
    rows = list_serials(item="PHONE-X", received_from="SUPP", received_after=D(2026, 1, 1),
                        received_before=D(2026, 1, 31), status=None)
    assert [(r.code, r.status, r.warehouse, r.received_from, r.received_on, r.issued_to, r.issued_on)
            for r in rows] == [
        ("A1", "in_stock", "MAIN", "SUPP", D(2026, 1, 5), None, None),
        ("A2", "issued", "MAIN", "SUPP", D(2026, 1, 5), "CUST", D(2026, 1, 20)),
        ("A3", "in_stock", "B", "SUPP", D(2026, 1, 5), None, None)]  # a transfer keeps the receipt
    assert [r.code for r in list_serials(issued_to="CUST", status=None)] == ["A2"]
    assert [r.code for r in list_serials(received_from="SUPP", received_before=D(2026, 1, 5), status=None)] == [
        "A1", "A2", "A3"]
    assert list_serials(received_from="NOBODY", status=None) == []


def test_a_return_and_edits_keep_the_trace_true(stock):
    _partners()
    gr = receive("PHONE-X", ["R1"], partner="SUPP", date=D(2026, 1, 5))
    issue("PHONE-X", ["R1"], partner="CUST", date=D(2026, 1, 6))
    back = receive("PHONE-X", ["R1"], partner="CUST", date=D(2026, 1, 9))  # the customer returns it
    [r1] = find_serial("R1")
    assert (r1.received_from, r1.received_on, r1.issued_to, r1.issued_on) == ("CUST", D(2026, 1, 9), None, None)
    receive("PHONE-X", ["R1"], number=back.number, partner="ACME", date=D(2026, 1, 8))  # corrected
    [r1] = find_serial("R1")
    assert (r1.received_from, r1.received_on) == ("ACME", D(2026, 1, 8))
    delete_document(back.number, operator="t")
    [r1] = find_serial("R1")
    assert (r1.status, r1.received_from, r1.issued_to, r1.issued_on) == ("issued", "SUPP", "CUST", D(2026, 1, 6))
    assert gr.number == r1.history[0].document


def test_api_lists_serials_by_partner_and_dates_and_history_carries_them(api):
    _partners()
    r = api.post("/goods-receipts", json={"partner": "SUPP", "date": "2026-01-05", "lines": [
        {"item": "PHONE-X", "quantity": 2, "serials": ["A1", "A2"]}]})
    assert r.status_code == 201, r.text
    r = api.post("/goods-issues", json={"partner": "CUST", "date": "2026-01-20", "lines": [
        {"item": "PHONE-X", "quantity": 1, "serials": ["A2"]}]})
    assert r.status_code == 201, r.text
    gi = r.json()["number"]
    r = api.get("/serials", params={"received_from": "SUPP", "received_after": "2026-01-05",
                                    "received_before": "2026-01-05"})
    assert r.status_code == 200, r.text
    rows = {x["code"]: x for x in r.json()["data"]}
    assert set(rows) == {"A1", "A2"}
    assert {k: rows["A2"][k] for k in ("status", "warehouse", "received_from", "received_on", "issued_to",
                                       "issued_on", "issued_by")} == {
        "status": "issued", "warehouse": "MAIN", "received_from": "SUPP", "received_on": "2026-01-05",
        "issued_to": "CUST", "issued_on": "2026-01-20", "issued_by": gi}
    assert "received_at" in rows["A1"] and "received_by" in rows["A1"]  # today's fields stay
    assert [x["code"] for x in api.get("/serials", params={"issued_to": "CUST"}).json()["data"]] == ["A2"]
    assert api.get("/serials", params={"received_after": "2026-01-06"}).json()["data"] == []
    assert api.get("/serials", params={"received_after": "January"}).status_code == 422
    [a2] = api.get("/serials/A2").json()["data"]
    assert [(h["document"], h["date"], h["partner"], h["invoice"]) for h in a2["history"]] == [
        (rows["A2"]["received_by"], "2026-01-05", "SUPP", None), (gi, "2026-01-20", "CUST", None)]


def test_excel_export_takes_the_same_filters(stock, tmp_path):
    from store.excel import export_agenda
    from tests.test_excel_export import rows_of

    _partners()
    receive("PHONE-X", ["A1", "A2"], partner="SUPP", date=D(2026, 1, 5))
    receive("PHONE-X", ["B1"], partner="ACME", date=D(2026, 1, 5))
    issue("PHONE-X", ["A2"], partner="CUST", date=D(2026, 1, 20))
    path = tmp_path / "trace.xlsx"
    assert export_agenda("serials", path, status="all", received_from="SUPP", received_after=D(2026, 1, 1),
                         received_before=D(2026, 1, 31)) == 2
    rows = rows_of(path)
    assert rows[0][9:11] == ("Received from", "Issued to")
    a2 = next(r for r in rows if r[0] == "A2")
    assert (a2[3], a2[6].date(), a2[8].date(), a2[9], a2[10]) == ("issued", D(2026, 1, 5), D(2026, 1, 20), "SUPP",
                                                                 "CUST")
    assert export_agenda("serials", path, status="all", issued_to="CUST") == 1
