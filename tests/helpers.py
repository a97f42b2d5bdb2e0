"""Short ways to save documents in tests."""

from __future__ import annotations

from store.documents import DocumentIn, LineIn, save_document


def receive(item, serials, *, warehouse=None, qty=None, operator="tester", number=None, **kw):
    serials = list(serials)
    return save_document(DocumentIn("receipt", [LineIn(item, len(serials) if qty is None else qty, None, serials)],
                                    warehouse=warehouse, **kw), operator=operator, number=number)


def issue(item, serials, *, warehouse=None, qty=None, operator="tester", number=None, **kw):
    serials = list(serials)
    return save_document(DocumentIn("issue", [LineIn(item, len(serials) if qty is None else qty, None, serials)],
                                    warehouse=warehouse, **kw), operator=operator, number=number)


def transfer(item, serials, *, frm=None, to="B", operator="tester", number=None):
    serials = list(serials)
    return save_document(DocumentIn("transfer", [LineIn(item, len(serials), None, serials)],
                                    warehouse=frm, to_warehouse=to), operator=operator, number=number)
