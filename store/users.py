"""Login users and their roles, who is acting at start, and the audit list of changes to users and tokens.

A database with no users is in single-user mode: whoever starts the program may do everything, and the
menu says so. Once a user exists, only users may start it; adding, changing and removing users is for
admins (the first user may be added by anyone: that is how a site leaves single-user mode, and it is
refused unless that first user is an admin, so that nobody is locked out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import rights
from .catalog import clean_text
from .db import write_transaction
from .errors import AlreadyExists, InvalidInput, NotAUser, NotFound  # noqa: F401  (NotAUser re-exported)
from .models import AuditEntry, User, utcnow
from .rights import Acting


@dataclass
class UserInfo:
    """A user as listed: name, role (store.rights.ROLES) and when it was added (UTC)."""
    name: str
    role: str
    created_at: dt.datetime


@dataclass
class AuditInfo:
    """One audit entry: when (UTC), who acted, the action (user_add, user_set, ...), its subject and detail."""
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: str


def _name(name) -> str:
    return clean_text(name, "name", max_length=100)


def has_users() -> bool:
    """True once the database has a user; until then everyone may do everything (single-user mode)."""
    return User.select().exists()


def _actor() -> str:
    who = rights.current()
    return who.name if who is not None else ""


def audit(action: str, subject: str, detail: str = "") -> None:
    """Record a change to users or tokens, in the transaction that makes it."""
    AuditEntry.create(at=utcnow(), actor=_actor(), action=action, subject=subject, detail=detail)


def _admins_after(removed: str | None = None, demoted: str | None = None) -> int:
    q = User.select().where(User.role == "admin")
    for n in (removed, demoted):
        if n is not None:
            q = q.where(User.name != n)
    return q.count()


@write_transaction
def add_user(name, role) -> UserInfo:
    """A new login user. The first one must be an admin (the database leaves single-user mode with it)."""
    name, role = _name(name), rights.check_role(role)
    first = not has_users()
    if first and role != "admin":
        raise InvalidInput(f"The first user must be an admin, or nobody could add the others: add an admin "
                           f"first (yourself, say: `serialstock user add YOURNAME --role admin`), then {name}.",
                           field="role")
    if not first:
        rights.require("users")
    if User.select().where(User.name == name).exists():
        raise AlreadyExists(f"A user named {name} exists already; change their role with `user set`.",
                            field="name")
    row = User.create(name=name, role=role, created_at=utcnow())
    audit("user_add", name, f"role {role}")
    return UserInfo(row.name, row.role, row.created_at)


@write_transaction
def set_role(name, role) -> UserInfo:
    """Give the user ``name`` the role ``role``; returns the user as it is now.

    Raises Forbidden unless the acting user may manage users, NotFound for an unknown name,
    InvalidInput for an unknown role or when it would leave no admin.
    """
    rights.require("users")
    name, role = _name(name), rights.check_role(role)
    row = User.get_or_none(User.name == name)
    if row is None:
        raise NotFound(f"No user named {name}.", field="name")
    if row.role == "admin" and role != "admin" and _admins_after(demoted=name) == 0:
        raise InvalidInput(f"{name} is the last admin; make another user admin first.", field="role")
    old = row.role
    User.update(role=role).where(User.id == row.id).execute()
    audit("user_set", name, f"role {old} -> {role}")
    return UserInfo(row.name, role, row.created_at)


@write_transaction
def remove_user(name) -> None:
    """Remove the user ``name`` (its past documents keep the name as their operator).

    Raises Forbidden unless the acting user may manage users, NotFound for an unknown name,
    InvalidInput when it is the last admin while other users remain.
    """
    rights.require("users")
    name = _name(name)
    row = User.get_or_none(User.name == name)
    if row is None:
        raise NotFound(f"No user named {name}.", field="name")
    if row.role == "admin" and _admins_after(removed=name) == 0 and User.select().count() > 1:
        raise InvalidInput(f"{name} is the last admin while other users remain; make another user admin first.",
                           field="name")
    row.delete_instance()
    audit("user_remove", name, f"was {row.role}")


def list_users() -> list[UserInfo]:
    """Every user, ordered by name. Admins only (Forbidden otherwise), as every other user command."""
    rights.require("users")
    return [UserInfo(u.name, u.role, u.created_at) for u in User.select().order_by(User.name)]


def audit_log(limit: int = 1000) -> list[AuditInfo]:
    """Changes to users and tokens, oldest first (the latest ``limit``)."""
    rights.require("users")
    rows = list(AuditEntry.select().order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditInfo(r.at, r.actor, r.action, r.subject, r.detail) for r in reversed(rows)]


def who_is_acting(login: str, operator: str | None = None) -> Acting:
    """Who a session acts as (store.rights.who_acts over this database's users)."""
    return rights.who_acts(login, operator, dict(User.select(User.name, User.role).tuples()))
