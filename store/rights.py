"""Who may do what: roles, the actions each allows, and the one place they are enforced.

Roles, each allowing what the one before it does and more:

  viewer  lookups, agendas, exports
  floor   also receive, issue, transfer, stock counts, drafts
  office  also invoices, editing and deleting saved documents, items, partners, warehouses, the
          tracking flag, imports
  admin   also users, API tokens, settings

A front end says who is acting for the duration of a call (``with acting(who):``: the terminal app
around each store call, the API around each request's work, the command around its handler); every
store service that changes or reads what a role restricts calls ``require(action)`` first, and the
services that read stock keep a token limited to one warehouse to that warehouse (``warehouse_limit``).
Nobody acting (a test, the schema's upgrade, a script importing the store) is not restricted: the
store trusts the program that calls it, and roles protect against the people using the front ends,
not against someone who can run Python against the database (README, "Roles").
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from .errors import Forbidden

ROLES = ("viewer", "floor", "office", "admin")

# action: (the least role that may do it, what it is, as a refusal names it)
ACTIONS: dict[str, tuple[str, str]] = {
    "read": ("viewer", "look up and list stock, serials and documents, and export them"),
    "receive": ("floor", "save a new goods receipt"),
    "issue": ("floor", "save a new goods issue"),
    "transfer": ("floor", "save a new transfer"),
    "count": ("floor", "take a stock count"),
    "draft": ("floor", "keep a draft of a document"),
    "invoice": ("office", "save an invoice or make its stock document"),
    "edit_document": ("office", "change a saved document"),
    "delete_document": ("office", "delete a document"),
    "items": ("office", "create, change or delete price-list items"),
    "tracking": ("office", "switch an item's serial-number tracking"),
    "partners": ("office", "create, change or delete partners"),
    "warehouses": ("office", "create, change or delete warehouses"),
    "import": ("office", "import items and documents from Excel"),
    "users": ("admin", "manage users: add, change, remove or list them, or read the log of changes"),
    "tokens": ("admin", "make, list or revoke API tokens"),
    "settings": ("admin", "change settings"),
}

# the action a new document of each kind needs (a saved one: edit_document)
NEW_DOCUMENT = {"receipt": "receive", "issue": "issue", "transfer": "transfer",
                "purchase_invoice": "invoice", "sales_invoice": "invoice"}


def check_role(role) -> str:
    """The role, or InvalidInput naming the roles there are."""
    from .errors import InvalidInput

    text = str(role or "").strip().lower()
    if text not in ROLES:
        raise InvalidInput(f"There is no role {str(role or '').strip()!r}; give one of {', '.join(ROLES)}.",
                           field="role")
    return text


def rank(role: str) -> int:
    """A role's place in ROLES (0 = the least); raises ValueError for an unknown role."""
    return ROLES.index(role)


@dataclass(frozen=True)
class Acting:
    """Who is acting: a user's or token's name, its role, the one warehouse it may read and move (a
    limited token; None: every warehouse), and whether the database has no users at all (single-user
    mode: everything is allowed)."""

    name: str
    role: str = "admin"
    warehouse: str | None = None
    single_user: bool = False
    token: bool = False

    def may(self, action: str) -> bool:
        """True when this role may do ``action`` (a key of ACTIONS). Raises KeyError for an unknown action."""
        return rank(self.role) >= rank(ACTIONS[action][0])


_acting: contextvars.ContextVar[Acting | None] = contextvars.ContextVar("serialstock_acting", default=None)


@contextlib.contextmanager
def acting(who: Acting | None):
    """Within this block, store services act for ``who`` (None: nobody, unrestricted)."""
    token = _acting.set(who)
    try:
        yield who
    finally:
        _acting.reset(token)


def current() -> Acting | None:
    """Who the store acts for in this thread or task (set by ``acting``); None: unrestricted."""
    return _acting.get()


def may(action: str, who: Acting | None = None) -> bool:
    """Whether ``who`` (default: whoever is acting now) may do ``action``."""
    who = who if who is not None else current()
    return who is None or who.may(action)


def needs(action: str) -> str:
    """The least role that may do ``action`` (a key of ACTIONS)."""
    return ACTIONS[action][0]


def forbidden(action: str, who: Acting | None = None) -> Forbidden:
    """The refusal for ``who`` asking to do ``action``: names the action and the role it needs."""
    who = who if who is not None else current()
    role, what = ACTIONS[action]
    above = [r for r in ROLES if rank(r) >= rank(role)]
    needed = role if len(above) == 1 else f"{' or '.join(above[:-1])} or {above[-1]}" if len(above) == 2 else \
        f"{role} or above"
    kind = "token" if who is not None and who.token else "user"
    name = who.name if who is not None else "?"
    return Forbidden(reason=f"the {kind} {name} ({who.role if who else '?'}) may not {what}: that needs the role "
                            f"{needed}.", action=action, needs=role, role=who.role if who else None)


def require(action: str) -> None:
    """Forbidden unless whoever is acting may do ``action``."""
    who = _acting.get()
    if who is not None and not who.may(action):
        raise forbidden(action, who)


def who_acts(login: str, operator: str | None, user_roles: dict[str, str]) -> Acting:
    """Who a session acts as: ``login`` is the account that started the program, ``operator`` the name
    given with --operator (None or the login itself: none), ``user_roles`` the database's users. No
    users: single-user mode, anyone may do anything. Otherwise the login must be a user (NotAUser, one
    sentence) and may act as another user only if it is an admin; it then has that user's role.
    Standard library only: the command asks this of an SQLite file before the app starts."""
    from .errors import NotAUser

    login = (login or "").strip()
    operator = (operator or "").strip() or login
    if not user_roles:
        return Acting(operator, "admin", single_user=True)
    role = user_roles.get(login)
    if role is None:
        raise NotAUser(f"{login} is not a serialstock user of this database; ask an admin to add you "
                       f"(serialstock user add {login} --role ROLE).", field="login")
    if operator == login:
        return Acting(login, role)
    if role != "admin":
        raise NotAUser(f"{login} ({role}) may not act as {operator}: only an admin may use --operator "
                       "to act as another user.", field="operator")
    if operator not in user_roles:
        raise NotAUser(f"--operator {operator} is not a user of this database; add them first "
                       f"(serialstock user add {operator} --role ROLE).", field="operator")
    return Acting(operator, user_roles[operator])


def warehouse_limit() -> str | None:
    """The one warehouse code the acting token may read and move, or None (every warehouse)."""
    who = _acting.get()
    return who.warehouse if who is not None else None


def require_warehouse(code: str | None, *, doing: str = "read or move") -> None:
    """Forbidden when the acting token is limited to one warehouse and ``code`` is another."""
    limit = warehouse_limit()
    if limit is None or code is None:
        return
    from .serials import clean_code_text

    if clean_code_text(code) != limit:
        who = _acting.get()
        raise Forbidden(reason=f"the token {who.name} may {doing} only the stock of warehouse {limit}, not of "
                               f"{clean_code_text(code)}.", action="read", needs=None, role=who.role,
                        warehouse=clean_code_text(code), field="warehouse")


def limited_warehouse(code: str | None) -> str | None:
    """A read's warehouse filter under the acting token's limit: the limit when none was given, the
    filter when it is the limit, Forbidden when it is another."""
    limit = warehouse_limit()
    if limit is None:
        return code
    if code is None or not str(code).strip():
        return limit
    require_warehouse(code)
    return limit
