"""Retry-safe requests: the first answer to a request sent with an idempotency key is kept, and a
repeat of that request with the same key gets the same answer without doing the work again.

Front-end neutral: a front end passes what identifies the caller (``scope``), the key, a hash of the
request, and an ``action`` that does the work and returns the answer as (status, body text). The
action runs in the same transaction as the recording of its answer, so either both stand or
neither does; two concurrent requests with the same key do the work once (SQLite: writers queue;
PostgreSQL: the second one's insert of the key waits for the first and then replays its answer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .catalog import clean_text
from .db import write_transaction
from .errors import IdempotencyKeyReused, InvalidInput
from .models import IdempotencyKey, utcnow

MAX_KEY_LENGTH = 200
KEEP_DAYS = 7  # keys older than this may be pruned (store.idempotency.prune); a retry after that runs again


def clean_key(key: str) -> str:
    """The idempotency key as stored: trimmed ASCII text of at most MAX_KEY_LENGTH characters.

    Raises InvalidInput (field "idempotency_key") when it is empty, too long or not ASCII.
    """
    try:
        key = clean_text(key, "idempotency key", max_length=MAX_KEY_LENGTH)
    except InvalidInput as r:
        r.field = "idempotency_key"
        raise
    if not key.isascii():
        raise InvalidInput("Idempotency key must be ASCII text.", field="idempotency_key")
    return key


@write_transaction
def run_once(scope: str, key: str, request_hash: str,
             action: Callable[[], tuple[int, str]]) -> tuple[int, str, bool]:
    """(status, body, replayed). ``action`` must turn refusals into answers itself (they are recorded
    as the first answer too); any other exception leaves nothing recorded."""
    key = clean_key(key)
    row = (IdempotencyKey.select(IdempotencyKey.request_hash, IdempotencyKey.status, IdempotencyKey.response)
           .where((IdempotencyKey.scope == scope) & (IdempotencyKey.key == key)).tuples().first())
    if row is not None:
        if row[0] != request_hash:
            raise IdempotencyKeyReused(
                f"Idempotency key {key} was used before for a different request; "
                "use a new key for a new request.", field="idempotency_key")
        return row[1], row[2], True
    # Claim the key first: a concurrent request with the same key waits here (or fails and is retried).
    rid = IdempotencyKey.insert(scope=scope, key=key, request_hash=request_hash, status=0, response="",
                                created_at=utcnow()).execute()
    status, body = action()
    IdempotencyKey.update(status=status, response=body).where(IdempotencyKey.id == rid).execute()
    return status, body, False


@write_transaction
def prune(days: int = KEEP_DAYS) -> int:
    """Forget the answers recorded more than ``days`` ago; returns how many."""
    cutoff = utcnow() - dt.timedelta(days=days)
    return IdempotencyKey.delete().where(IdempotencyKey.created_at < cutoff).execute()
