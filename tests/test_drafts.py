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


# --- who holds a draft (schema 7) ---------------------------------------------------------------

import subprocess  # noqa: E402

from store import drafts as drafts_mod  # noqa: E402
from store.drafts import is_held, release_draft, this_process, touch_draft  # noqa: E402
from store.models import Draft, utcnow  # noqa: E402


def _hold(did, *, host=None, pid=None, seconds_ago=0):
    Draft.update(holder_host=host or this_process()[0], holder_pid=pid,
                 heartbeat_at=utcnow() - dt.timedelta(seconds=seconds_ago)).where(Draft.id == did).execute()


def test_a_draft_records_its_holder_and_heartbeat(stock):
    did = save_draft("alice", DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H1"])]))
    [d] = drafts_of("alice")
    assert (d.holder_host, d.holder_pid) == this_process() and d.heartbeat_at is not None
    _hold(did, pid=this_process()[1], seconds_ago=20)
    assert touch_draft(did) is True
    [d] = drafts_of("alice")
    assert (utcnow() - d.heartbeat_at).total_seconds() < 5
    release_draft(did)
    [d] = drafts_of("alice")
    assert d.holder_pid is None and not is_held(d)
    delete_draft(did)
    assert touch_draft(did) is False


def test_a_draft_held_by_another_live_process_is_not_offered(stock):
    """The same operator logged in twice: the second session does not see the first one's open document
    as abandoned; once that process is gone, it does."""
    did = save_draft("alice", DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H1"])]))
    other = subprocess.Popen(["sleep", "60"])
    try:
        _hold(did, pid=other.pid)
        assert drafts_of("alice") == []
        assert [d.id for d in drafts_of("alice", held_too=True)] == [did]
        _hold(did, pid=other.pid, seconds_ago=drafts_mod.STALE_AFTER + 5)  # alive but silent: stale
        assert [d.id for d in drafts_of("alice")] == [did]
        _hold(did, pid=other.pid)
    finally:
        other.kill()
        other.wait()
    assert [d.id for d in drafts_of("alice")] == [did]  # the holder is gone: offered at once


def test_a_draft_held_on_another_host_is_offered_once_its_heartbeat_is_stale(stock):
    did = save_draft("alice", DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H1"])]))
    _hold(did, host="handheld-gateway-2", pid=1)
    assert drafts_of("alice") == []
    _hold(did, host="handheld-gateway-2", pid=1, seconds_ago=drafts_mod.STALE_AFTER + 1)
    assert [d.id for d in drafts_of("alice")] == [did]


def test_a_draft_marked_with_our_own_process_id_is_from_a_process_before_us(stock):
    did = save_draft("alice", DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H1"])]))
    _hold(did, pid=this_process()[1])
    assert [d.id for d in drafts_of("alice")] == [did]
