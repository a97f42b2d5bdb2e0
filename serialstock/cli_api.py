"""`serialstock api` and `serialstock token`: the HTTP API's server and its bearer tokens.

cli.main opens the database (store.db.connect) before a handler runs; `api` serves the same URL.
"""

from __future__ import annotations

import sys

from store import db as dbm
from store.errors import Refusal


def register(subparsers) -> None:
    api = subparsers.add_parser("api", help="serve the JSON HTTP API (OpenAPI at /openapi.json)")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")

    token = subparsers.add_parser("token", help="make, list or revoke the HTTP API's bearer tokens")
    sub = token.add_subparsers(dest="token_command", metavar="{create,list,revoke}")
    sub.required = True
    create = sub.add_parser("create", help="make a token; its secret is shown once")
    create.add_argument("name", help="who uses it: recorded as the operator of what it saves")
    sub.add_parser("list", help="list tokens (names and dates; secrets are not stored)")
    revoke = sub.add_parser("revoke", help="revoke the active token of that name")
    revoke.add_argument("name")


def _cmd_api(args) -> int:
    import uvicorn

    from api import create_app

    url = dbm.resolve_url(getattr(args, "db", None))
    dbm.db.close()  # the server opens the database itself, with a connection pool
    print(f"serialstock API on http://{args.host}:{args.port} (OpenAPI at /openapi.json, docs at /docs); "
          "ctrl+c stops it.", file=sys.stderr)
    uvicorn.run(create_app(url), host=args.host, port=args.port, log_level="info")
    return 0


def _fmt(t) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


def _cmd_token(args) -> int:
    from store import tokens

    try:
        if args.token_command == "create":
            info, secret = tokens.create_token(args.name)
            print(f"Token for {info.name} (shown only now; keep it somewhere safe):")
            print(secret)
            print(f"Use it as: Authorization: Bearer {secret}", file=sys.stderr)
            return 0
        if args.token_command == "list":
            rows = tokens.list_tokens()
            if not rows:
                print("No tokens. Make one with: serialstock token create NAME")
                return 0
            width = max(4, *(len(t.name) for t in rows))
            print(f"{'NAME':<{width}}  {'CREATED (UTC)':<16}  STATUS")
            for t in rows:
                status = "active" if t.active else f"revoked {_fmt(t.revoked_at)}"
                print(f"{t.name:<{width}}  {_fmt(t.created_at):<16}  {status}")
            return 0
        if args.token_command == "revoke":
            info = tokens.revoke_token(args.name)
            print(f"Token {info.name} revoked: requests made with it are refused from now on.")
            return 0
    except Refusal as r:
        print(f"serialstock: {r}", file=sys.stderr)
        return 1
    print("serialstock: token needs one of: create NAME, list, revoke NAME", file=sys.stderr)
    return 2


HANDLERS = {"api": _cmd_api, "token": _cmd_token}
