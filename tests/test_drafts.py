"""Drafts in the store: kept per operator, round-trip every field and serial."""

import datetime as dt
from decimal import Decimal

from store.documents import DocumentIn, LineIn
from store.drafts import delete_draft, drafts_of, save_draft


def test_draft_round_trip_and_overwrite(stock):
    doc = DocumentIn("transfer", [LineIn("PHONE-X", 2, None, ["A1", "A2"]), LineIn("CABLE", Decimal("1.5"), Decimal("3.10"))],
                     warehouse="MAIN", to_warehouse="B", date=dt.date(2026, 5, 1), note="half done")
    did = save_draft("alice", doc)
    [d] = drafts_of("alice")
    assert d.id == did and d.document == DocumentIn(
        "transfer", [LineIn("PHONE-X", Decimal(2), None, ["A1", "A2"]), LineIn("CABLE", Decimal("1.5"), Decimal("3.10"), [])],
        warehouse="MAIN", to_warehouse="B", date=dt.date(2026, 5, 1), note="half done")
    assert d.summary == "new transfer: 2 line(s), 2 serial(s)"
    doc.lines[0].serials.append("A3")
    assert save_draft("alice", doc, draft_id=did, number="TR-2026-0001", version=4) == did
    [d] = drafts_of("alice")
    assert d.document.lines[0].serials == ["A1", "A2", "A3"] and (d.number, d.version) == ("TR-2026-0001", 4)
    assert drafts_of("bob") == []
    delete_draft(did)
    assert drafts_of("alice") == []
