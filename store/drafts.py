"""Drafts: an unsaved document (header, lines, every serial entered) kept as the operator works, so
that a dropped SSH connection or a closed terminal loses nothing. The next start offers it again.

A draft records the process editing it (host name, process id) and a heartbeat that process refreshes
every HEARTBEAT_SECONDS while the document is open (``touch_draft``). ``drafts_of`` offers only drafts
whose holder is gone: a process on this host that no longer exists, or a heartbeat older than
STALE_AFTER seconds (a process on another host, or one that stopped refreshing). An operator logged in
twice therefore does not see, in the second session, the document still open in the first. A session
whose radio link died keeps its process, and its hold, until sshd ends it (README "On the floor").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass
from decimal import Decimal

from .db import write_transaction
from .documents import KINDS, DocumentIn, LineIn
from .models import Draft, utcnow
from .rights import require


@dataclass
class DraftInfo:
    """A kept, unsaved document of one operator: the document as it was being edited (``document``), the
    saved document it changes (``number`` and ``version``; None for a new one), when it was last written
    (UTC) and, while a session holds it open, that session's host, process id and heartbeat.
    """
    id: int
    operator: str
    kind: str
    number: str | None
    version: int | None
    document: DocumentIn
    updated_at: dt.datetime
    holder_host: str | None = None
    holder_pid: int | None = None
    heartbeat_at: dt.datetime | None = None

    @property
    def summary(self) -> str:
        """One line for the draft offer: "GR-2026-0003: 2 line(s), 5 serial(s)" or "new goods receipt: ..."."""
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
                   "serials": list(l.serials), "lots": dict(l.lots or {}),
                   "expiries": {s: str(d) for s, d in (l.expiries or {}).items()}} for l in doc.lines],
    })


def _load(row: Draft) -> DraftInfo:
    d = json.loads(row.payload)
    doc = DocumentIn(
        kind=d["kind"], warehouse=d.get("warehouse"), to_warehouse=d.get("to_warehouse"), partner=d.get("partner"),
        date=dt.date.fromisoformat(d["date"]) if d.get("date") else None, note=d.get("note") or "",
        generate_movement=d.get("generate_movement"),
        lines=[LineIn(l["item"], Decimal(l["quantity"]), None if l["price"] is None else Decimal(l["price"]),
                      list(l["serials"]), dict(l.get("lots") or {}),
                      {s: dt.date.fromisoformat(v) for s, v in (l.get("expiries") or {}).items()})
               for l in d.get("lines", [])])
    return DraftInfo(row.id, row.operator, row.kind, row.number, d.get("version"), doc, row.updated_at,
                     row.holder_host, row.holder_pid, row.heartbeat_at)


HEARTBEAT_SECONDS = 5  # how often an open document refreshes its draft's heartbeat
STALE_AFTER = 30  # a heartbeat older than this: the holder is taken as gone


def this_process() -> tuple[str, int]:
    """(host name, process id) recorded as a draft's holder."""
    return socket.gethostname(), os.getpid()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another account
        return True
    except OSError:
        return False
    return True


def is_held(draft: DraftInfo, *, now: dt.datetime | None = None) -> bool:
    """Whether another live process is editing the draft (see the module's note)."""
    if draft.holder_pid is None or draft.heartbeat_at is None:
        return False
    now = now or utcnow()
    if (now - draft.heartbeat_at).total_seconds() > STALE_AFTER:
        return False
    host, pid = this_process()
    if draft.holder_host == host:
        # our own id: a process before us had it (ids are reused); we have opened no document yet
        return draft.holder_pid != pid and _process_exists(draft.holder_pid)
    return True  # another host: its heartbeat is fresh


@write_transaction
def save_draft(operator: str, doc: DocumentIn, *, draft_id: int | None = None, number: str | None = None,
               version: int | None = None) -> int:
    """Keep the document as it is now; returns the draft's id (pass it back to overwrite)."""
    require("draft")
    payload = _dump(doc, version)
    host, pid = this_process()
    now = utcnow()
    held = {"holder_host": host, "holder_pid": pid, "heartbeat_at": now}
    if draft_id is not None:
        updated = (Draft.update(payload=payload, number=number, updated_at=now, **held)
                   .where((Draft.id == draft_id) & (Draft.operator == operator)).execute())
        if updated:
            return draft_id
    return Draft.create(operator=operator, kind=doc.kind, number=number, payload=payload, updated_at=now, **held).id


@write_transaction
def touch_draft(draft_id: int) -> bool:
    """The heartbeat: this process still has the draft open. False if the draft is gone."""
    host, pid = this_process()
    return bool(Draft.update(holder_host=host, holder_pid=pid, heartbeat_at=utcnow())
                .where(Draft.id == draft_id).execute())


@write_transaction
def release_draft(draft_id: int) -> None:
    """The document is closed but its draft kept (the app quits with unsaved work): anyone may resume it."""
    Draft.update(holder_host=None, holder_pid=None, heartbeat_at=None).where(Draft.id == draft_id).execute()


def drafts_of(operator: str, *, held_too: bool = False) -> list[DraftInfo]:
    """The operator's drafts, newest first: those no live process is editing (``held_too``: all)."""
    drafts = [_load(r) for r in Draft.select().where(Draft.operator == operator).order_by(Draft.updated_at.desc())]
    if held_too:
        return drafts
    now = utcnow()
    return [d for d in drafts if not is_held(d, now=now)]


@write_transaction
def delete_draft(draft_id: int) -> None:
    """Drop the draft with this id (nothing happens when it is already gone).

    Raises Forbidden when the acting role may not keep drafts (store.rights ACTIONS["draft"]).
    """
    require("draft")
    Draft.delete().where(Draft.id == draft_id).execute()
