"""`serialstock user add|list|set|remove|log`: login users, their roles, and the audit list of changes
to users and tokens (store.users). Admins only, once users exist; with none, the first `user add`
(an admin) ends single-user mode.
"""

from __future__ import annotations

import sys

from store.errors import Refusal
from store.rights import ROLES


def register(subparsers) -> None:
    user = subparsers.add_parser("user", help="login users and their roles (admins only once users exist)")
    sub = user.add_subparsers(dest="user_command", metavar="{add,list,set,remove,log}")
    sub.required = True
    add = sub.add_parser("add", help="add a login user with a role (the first user must be an admin)")
    add.add_argument("name", help="the login name (as `whoami` says)")
    add.add_argument("--role", required=True, choices=ROLES, help=", ".join(ROLES))
    sub.add_parser("list", help="list users and their roles")
    set_ = sub.add_parser("set", help="change a user's role")
    set_.add_argument("name")
    set_.add_argument("--role", required=True, choices=ROLES, help=", ".join(ROLES))
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    sub.add_parser("log", help="changes to users and tokens: who, when, what")


def _fmt(t) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


def cmd_user(args) -> int:
    from store import users

    try:
        if args.user_command == "add":
            first = not users.has_users()
            info = users.add_user(args.name, args.role)
            print(f"User {info.name} added ({info.role}).")
            if first:
                print("This database has users now: only they may start serialstock, each with their role.")
            return 0
        if args.user_command == "list":
            rows = users.list_users()
            if not rows:
                print("No users: single-user mode, whoever starts serialstock may do everything. Add the first "
                      "(an admin) with: serialstock user add NAME --role admin")
                return 0
            width = max(4, *(len(u.name) for u in rows))
            print(f"{'NAME':<{width}}  {'ROLE':<6}  ADDED (UTC)")
            for u in rows:
                print(f"{u.name:<{width}}  {u.role:<6}  {_fmt(u.created_at)}")
            return 0
        if args.user_command == "set":
            info = users.set_role(args.name, args.role)
            print(f"User {info.name} is {info.role} now.")
            return 0
        if args.user_command == "remove":
            users.remove_user(args.name)
            print(f"User {args.name.strip()} removed.")
            return 0
        if args.user_command == "log":
            rows = users.audit_log()
            if not rows:
                print("No changes to users or tokens yet.")
                return 0
            for e in rows:
                print(f"{_fmt(e.at)}  {e.actor or '-'}  {e.action}  {e.subject}" + (f"  ({e.detail})" if e.detail else ""))
            return 0
    except Refusal as r:
        print(f"serialstock: {r}", file=sys.stderr)
        return 1
    return 2


HANDLERS = {"user": cmd_user}
