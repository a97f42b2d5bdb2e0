"""Drafts: an unsaved document (header, lines, every serial entered) kept as the operator works, so
that a dropped SSH connection or a closed terminal loses nothing. The next start offers it again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from .db import write_transaction
from .documents import KINDS, DocumentIn, LineIn
from .models import Draft, utcnow


@dataclass
class DraftInfo:
    id: int
    operator: str
    kind: str
    number: str | None
    version: int | None
    document: DocumentIn
    updated_at: dt.datetime

    @property
    def summary(self) -> str:
        what = self.number or f"new {KINDS[self.kind].title.lower()}"
        lines = len(self.document.lines)
        serials = sum(len(l.serials) for l in self.document.lines)
        return f"{what}: {lines} line(s), {serials} serial(s)"


def _dump(doc: DocumentIn, version: int | None) -> str:
    return json.dumps({
        "kind": doc.kind, "warehouse": doc.warehouse, "to_warehouse": doc.to_warehouse, "partner": doc.partner,
        "date": doc.date.isoformat() if doc.date else None, "note": doc.note,
        "generate_movement": doc.generate_movement, "version": version,
        "lines": [{"item": l.item, "quantity": str(l.quantity), "price": None if l.price is None else str(l.price),
                   "serials": list(l.serials)} for l in doc.lines],
    })


def _load(row: Draft) -> DraftInfo:
    d = json.loads(row.payload)
    doc = DocumentIn(
        kind=d["kind"], warehouse=d.get("warehouse"), to_warehouse=d.get("to_warehouse"), partner=d.get("partner"),
        date=dt.date.fromisoformat(d["date"]) if d.get("date") else None, note=d.get("note") or "",
        generate_movement=d.get("generate_movement"),
        lines=[LineIn(l["item"], Decimal(l["quantity"]), None if l["price"] is None else Decimal(l["price"]),
                      list(l["serials"])) for l in d.get("lines", [])])
    return DraftInfo(row.id, row.operator, row.kind, row.number, d.get("version"), doc, row.updated_at)


@write_transaction
def save_draft(operator: str, doc: DocumentIn, *, draft_id: int | None = None, number: str | None = None,
               version: int | None = None) -> int:
    """Keep the document as it is now; returns the draft's id (pass it back to overwrite)."""
    payload = _dump(doc, version)
    if draft_id is not None:
        updated = (Draft.update(payload=payload, number=number, updated_at=utcnow())
                   .where((Draft.id == draft_id) & (Draft.operator == operator)).execute())
        if updated:
            return draft_id
    return Draft.create(operator=operator, kind=doc.kind, number=number, payload=payload, updated_at=utcnow()).id


def drafts_of(operator: str) -> list[DraftInfo]:
    return [_load(r) for r in Draft.select().where(Draft.operator == operator).order_by(Draft.updated_at.desc())]


@write_transaction
def delete_draft(draft_id: int) -> None:
    Draft.delete().where(Draft.id == draft_id).execute()
