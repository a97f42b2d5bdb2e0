"""Bearer tokens of the HTTP API: made, listed and revoked by `serialstock token`, checked on every request.

A token is ``sst_`` and 43 random URL-safe characters. Only its SHA-256 is stored, so the secret is
shown once, when it is made. The token's name is the operator recorded on what it saves; one name has
at most one active token, and a revoked token stays listed (revoked) for the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from .catalog import clean_text
from .db import run_sql, write_transaction
from .errors import AlreadyExists, NotFound
from .models import ApiToken, utcnow

PREFIX = "sst_"


@dataclass
class TokenInfo:
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@write_transaction
def create_token(name: str) -> tuple[TokenInfo, str]:
    """A new token for ``name``: (its info, the secret). The secret is not stored and cannot be shown again."""
    name = clean_text(name, "name", max_length=100)
    if ApiToken.select().where((ApiToken.name == name) & ApiToken.revoked_at.is_null()).exists():
        raise AlreadyExists(f"A token named {name} exists already; revoke it first or choose another name.",
                            field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(name=name, secret_hash=hash_secret(secret), created_at=utcnow())
    return TokenInfo(row.name, row.created_at, None), secret


def list_tokens() -> list[TokenInfo]:
    """Every token, active ones first, by name."""
    rows = ApiToken.select().order_by(ApiToken.revoked_at.is_null(False), ApiToken.name, ApiToken.id)
    return [TokenInfo(r.name, r.created_at, r.revoked_at) for r in rows]


@write_transaction
def revoke_token(name: str) -> TokenInfo:
    """Revoke the active token of that name: requests made with it are refused from now on."""
    name = clean_text(name, "name", max_length=100)
    row = ApiToken.get_or_none((ApiToken.name == name) & ApiToken.revoked_at.is_null())
    if row is None:
        raise NotFound(f"No active token named {name}.", field="name")
    now = utcnow()
    ApiToken.update(revoked_at=now).where(ApiToken.id == row.id).execute()
    return TokenInfo(row.name, row.created_at, now)


def verify_token(secret: str | None) -> str | None:
    """The name of the active token with this secret, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    # Written out (every API request asks): the query builder's Python cost more than the lookup.
    row = run_sql("SELECT name FROM api_token WHERE secret_hash = ? AND revoked_at IS NULL LIMIT 1",
                  (hash_secret(secret),)).fetchone()
    return row[0] if row else None
