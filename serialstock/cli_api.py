"""`serialstock api` and `serialstock token`: the HTTP API's server and its bearer tokens.

cli.main opens the database (store.db.connect) before a handler runs; `api` serves the same URL.
"""

from __future__ import annotations

import argparse
import os
import sys

from store import db as dbm
from store.errors import Refusal
from store.urls import is_postgres_url


def register(subparsers) -> None:
    api = subparsers.add_parser("api", help="serve the JSON HTTP API (OpenAPI at /openapi.json)")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    api.add_argument("--port", type=port_number, default=8000, help="port to listen on, 1-65535 (default: 8000)")
    api.add_argument("--workers", type=at_least_one, metavar="N",
                     help="server processes, each with its own connection pool (default: 1 on SQLite, whose "
                          "writers queue best inside one process; on PostgreSQL the number of CPUs, at most 4)")
    api.add_argument("--threads", type=at_least_one, metavar="N",
                     help="requests each process works on at once (default: $SERIALSTOCK_API_THREADS, else 4)")
    api.add_argument("--no-access-log", action="store_true", help="do not log every request")

    token = subparsers.add_parser("token", help="make, list or revoke the HTTP API's bearer tokens")
    sub = token.add_subparsers(dest="token_command", metavar="{create,list,revoke}")
    sub.required = True
    create = sub.add_parser("create", help="make a token; its secret is shown once")
    create.add_argument("name", help="who uses it: recorded as the operator of what it saves")
    from store.rights import ROLES

    create.add_argument("--role", required=True, choices=ROLES,
                        help="what it may do: " + ", ".join(ROLES) + " (README, Roles)")
    create.add_argument("--warehouse", metavar="CODE",
                        help="the one warehouse whose stock it may read and move (default: every warehouse)")
    sub.add_parser("list", help="list tokens (names and dates; secrets are not stored)")
    revoke = sub.add_parser("revoke", help="revoke the active token of that name")
    revoke.add_argument("name")


def port_number(text: str) -> int:
    """argparse type: a TCP port 1-65535."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give a number from 1 to 65535") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"port {n} is out of range; give a number from 1 to 65535")
    return n


def at_least_one(text: str) -> int:
    """argparse type: a whole number of at least 1 (processes, threads)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give 1 or more") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is too few; give 1 or more")
    return n


def default_workers(url: str) -> int:
    """Server processes: one on SQLite (its writers queue in arrival order inside a process; across
    processes they would poll on the file's lock); on PostgreSQL one per CPU, at most 4."""
    return 1 if not is_postgres_url(url) else max(1, min(os.cpu_count() or 1, 4))


def serve(host: str, port: int, *, workers: int, access_log: bool = True) -> None:
    """Serve api.app:create_app (database from $SERIALSTOCK_DB) with uvicorn, in ``workers`` processes."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                            log_level="info", access_log=access_log)
    try:
        if workers == 1:
            uvicorn.Server(config).run()
            return
        # uvicorn binds the socket its worker processes share with protocol 0, and asyncio turns Nagle's
        # algorithm off (TCP_NODELAY) only on connections accepted from a socket that says IPPROTO_TCP:
        # every answer after the first on a keep-alive connection would wait ~40 ms for the client's
        # delayed ACK (uvicorn issue #3149). The same socket, said to be TCP:
        bound = config.bind_socket()
        sock = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass


def _cmd_api(args) -> int:
    url = getattr(args, "url", None) or dbm.resolve_url(getattr(args, "db", None))
    dbm.db.close()  # the server opens the database itself, with a connection pool
    workers = args.workers if args.workers is not None else default_workers(url)
    try:  # a port in use or not ours to take: one line, before any process starts
        import socket

        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as exc:
        print(f"serialstock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. Give another --port "
              "or --host.", file=sys.stderr)
        return 2
    # Each process makes the app itself (api.app.create_app), with the database and threads from here.
    os.environ["SERIALSTOCK_DB"] = url
    if args.threads:
        os.environ["SERIALSTOCK_API_THREADS"] = str(args.threads)
    print(f"serialstock API on http://{args.host}:{args.port} (OpenAPI at /openapi.json, docs at /docs), "
          f"{workers} process{'es' if workers > 1 else ''}; ctrl+c stops it.", file=sys.stderr)
    serve(args.host, args.port, workers=workers, access_log=not args.no_access_log)
    return 0


def _fmt(t) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


def _cmd_token(args) -> int:
    from store import tokens

    try:
        if args.token_command == "create":
            info, secret = tokens.create_token(args.name, args.role, args.warehouse)
            where = f", warehouse {info.warehouse} only" if info.warehouse else ""
            print(f"Token for {info.name}, {info.role}{where} (shown only now; keep it somewhere safe):")
            print(secret)
            print(f"Use it as: Authorization: Bearer {secret}", file=sys.stderr)
            return 0
        if args.token_command == "list":
            rows = tokens.list_tokens()
            if not rows:
                print("No tokens. Make one with: serialstock token create NAME --role ROLE")
                return 0
            width = max(4, *(len(t.name) for t in rows))
            print(f"{'NAME':<{width}}  {'ROLE':<6}  {'WAREHOUSE':<9}  {'CREATED (UTC)':<16}  STATUS")
            for t in rows:
                status = "active" if t.active else f"revoked {_fmt(t.revoked_at)}"
                print(f"{t.name:<{width}}  {t.role:<6}  {t.warehouse or '(all)':<9}  {_fmt(t.created_at):<16}  {status}")
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
