"""The FastAPI application: `serialstock api` serves it with uvicorn; tests use it through an ASGI client.

    create_app(db_url)   # None: $SERIALSTOCK_DB, else the default SQLite file (store.db.resolve_url)

On start-up it opens the database with a connection pool (each request takes a connection from it
and gives it back), brings the schema up to date and forgets idempotency keys older than a week.
It can also be served directly: `uvicorn --factory api.app:create_app` (database from $SERIALSTOCK_DB).
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from store import db as dbm
from store import idempotency

from . import errors, limits, routes_catalog, routes_counts, routes_documents, routes_lookups

# Requests doing their work at once in one server process (each in a thread of its own; a request holds
# one connection). On PostgreSQL `serialstock api` runs several processes, each with this many. More
# threads only contend for the GIL (and SQLite takes one writer at a time): with 8 on SQLite, throughput
# with 50 clients fell 10-13% below that with 10 in most bench/bench_api.py runs; with 4 it did not.
THREADS = 4
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A request
# whose database answer has arrived waits that long for the GIL behind one doing its Python work, and
# on PostgreSQL it may be holding the row locks every save of its kind queues on (the number counter,
# the stock row) while it waits. At 1 ms, fewer saves waited on those locks and p99 with 10 clients and
# throughput with 50 were better over repeated bench/bench_api.py runs on 2 CPUs (noisy; see the note).
SWITCH_INTERVAL = 0.001

DESCRIPTION = """\
Receive and issue serial numbers from other programs (an e-shop, a supplier's portal).

* **Authentication**: every request sends `Authorization: Bearer <token>`, a token made with
  `serialstock token create NAME --role ROLE [--warehouse CODE]`. The token's name is recorded as the
  operator of what it saves; its role (viewer, floor, office, admin) says what it may do, and a token
  limited to one warehouse reads and moves only that warehouse's stock.
* **Errors**: `{"error": {"code", "message", "about", "problems"}}`: a stable `code`, the sentence the
  terminal app shows, what it is about (serial, line, item, document, field) and, for a refused
  document, each problem. 422 invalid input, 409 conflict (e.g. a serial issued meanwhile),
  404 unknown record, 403 `forbidden` (the token's role may not do it: the message names the role
  needed; or another warehouse than the token's), 401 no valid token.
* **Retries**: a POST sent again with the same `Idempotency-Key` header gets the first answer again
  (header `Idempotent-Replayed: true`) and changes nothing.
* **Paging**: lists answer `{"data": [...], "next": cursor}`; pass `?after=<cursor>` for the next page.
* **Numbers**: quantities and prices are strings in answers ("2", "199.90"); either a JSON number or a
  string in requests.
"""


def _open(url: str, pool: int) -> None:
    dbm.connect(url, pool=pool)
    try:
        idempotency.prune()
    finally:
        dbm.db.close()  # give the start-up connection back to the pool


def _close() -> None:
    obj = dbm.db.obj
    if obj is not None and hasattr(obj, "close_all"):
        obj.close_all()


def create_app(db_url: str | None = None, *, threads: int | None = None, pool: int | None = None,
               max_body: int | None = None) -> FastAPI:
    """``threads``: requests doing their work at once (default $SERIALSTOCK_API_THREADS, else 4);
    ``pool``: database connections kept open for them (default threads + 4); ``max_body``: the largest
    request body in bytes (default $SERIALSTOCK_API_MAX_BODY, else 10 MB; see api.limits)."""
    url = dbm.resolve_url(db_url)
    threads = threads or int(os.environ.get("SERIALSTOCK_API_THREADS") or THREADS)
    pool = pool or threads + 4

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # At most this many requests do their (blocking) work at once; the rest wait on the event loop,
        # which costs nothing. More threads only contend for the GIL and the database's locks.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, SWITCH_INTERVAL))
        await run_in_threadpool(_open, url, pool)
        # What start-up made (the app, its models and routes) lives as long as the server: keep it out
        # of the garbage collector's full passes, which otherwise walk all of it again and again.
        gc.freeze()
        try:
            yield
        finally:
            await run_in_threadpool(_close)
            sys.setswitchinterval(switch_interval)

    app = FastAPI(title="serialstock API", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url="/docs", redoc_url=None,
                  generate_unique_id_function=lambda route: route.name)
    app.state.db_url = url
    app.state.verified_tokens = {}  # api.deps.authenticated: token hash -> (who it acts as, verified until)
    errors.install(app)
    app.add_middleware(limits.BodyGuard, max_bytes=max_body)
    app.include_router(routes_catalog.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_lookups.router)
    app.include_router(routes_counts.router)
    return app
