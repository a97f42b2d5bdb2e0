"""Bearer tokens of the HTTP API: made, listed and revoked by `serialstock token`, checked on every request.

A token is ``sst_`` and 43 random URL-safe characters. Only its SHA-256 is stored, so the secret is
shown once, when it is made. The token's name is the operator recorded on what it saves; one name has
at most one active token, and a revoked token stays listed (revoked) for the record. A token carries a
role (store.rights) and optionally the one warehouse it may read and move. Making, listing and revoking
tokens is for admins; each change is kept in the audit list (store.users.audit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from . import rights
from .catalog import clean_text, get_warehouse
from .db import run_sql, write_transaction
from .errors import AlreadyExists, NotFound
from .models import ApiToken, Warehouse, utcnow
from .rights import Acting

PREFIX = "sst_"


@dataclass
class TokenInfo:
    """An API token as listed: its name, when it was made and revoked (UTC), its role and the one
    warehouse it is limited to (None: every warehouse). The secret is never kept, only its hash.
    """
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    role: str = "admin"
    warehouse: str | None = None  # the one warehouse it may read and move; None: every warehouse

    @property
    def active(self) -> bool:
        """True while the token is not revoked."""
        return self.revoked_at is None


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest (64 characters) kept in place of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@write_transaction
def create_token(name: str, role: str = "admin", warehouse: str | None = None) -> tuple[TokenInfo, str]:
    """A new token for ``name`` with ``role`` (and, given ``warehouse``, limited to that warehouse's
    stock): (its info, the secret). The secret is not stored and cannot be shown again."""
    from .users import audit

    rights.require("tokens")
    name = clean_text(name, "name", max_length=100)
    role = rights.check_role(role)
    wh = get_warehouse(warehouse) if warehouse is not None and str(warehouse).strip() else None
    if ApiToken.select().where((ApiToken.name == name) & ApiToken.revoked_at.is_null()).exists():
        raise AlreadyExists(f"A token named {name} exists already; revoke it first or choose another name.",
                            field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(name=name, secret_hash=hash_secret(secret), created_at=utcnow(), role=role,
                          warehouse=wh.id if wh else None)
    audit("token_create", name, f"role {role}" + (f", warehouse {wh.code}" if wh else ""))
    return TokenInfo(row.name, row.created_at, None, role, wh.code if wh else None), secret


def list_tokens() -> list[TokenInfo]:
    """Every token, active ones first, by name."""
    rights.require("tokens")
    codes = {w.id: w.code for w in Warehouse.select(Warehouse.id, Warehouse.code)}
    rows = ApiToken.select().order_by(ApiToken.revoked_at.is_null(False), ApiToken.name, ApiToken.id)
    return [TokenInfo(r.name, r.created_at, r.revoked_at, r.role, codes.get(r.warehouse_id)) for r in rows]


@write_transaction
def revoke_token(name: str) -> TokenInfo:
    """Revoke the active token of that name: requests made with it are refused from now on."""
    from .users import audit

    rights.require("tokens")
    name = clean_text(name, "name", max_length=100)
    row = ApiToken.get_or_none((ApiToken.name == name) & ApiToken.revoked_at.is_null())
    if row is None:
        raise NotFound(f"No active token named {name}.", field="name")
    now = utcnow()
    ApiToken.update(revoked_at=now).where(ApiToken.id == row.id).execute()
    audit("token_revoke", name)
    return TokenInfo(row.name, row.created_at, now, row.role)


def verify_token(secret: str | None) -> str | None:
    """The name of the active token with this secret, or None."""
    who = token_identity(secret)
    return who.name if who else None


def token_identity(secret: str | None) -> Acting | None:
    """Who the active token with this secret acts as (its name, role and warehouse), or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    # Written out (every API request asks): the query builder's Python cost more than the lookup.
    row = run_sql("SELECT t.name, t.role, w.code FROM api_token t LEFT JOIN warehouse w ON w.id = t.warehouse_id "
                  "WHERE t.secret_hash = ? AND t.revoked_at IS NULL LIMIT 1", (hash_secret(secret),)).fetchone()
    return Acting(row[0], row[1] or "admin", warehouse=row[2], token=True) if row else None
