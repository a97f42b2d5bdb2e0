"""What every endpoint shares: the token check, a database connection for the work, retry-safe POSTs
and keyset-paging cursors.

Endpoints are plain ``def`` functions, so FastAPI runs them in its thread pool. peewee keeps one
connection per thread, and FastAPI may run a dependency and the endpoint on different threads, so the
connection is opened (taken from the pool) and closed (given back) around the work itself, in the
thread that does it: ``ctx.read(fn)`` / ``ctx.write(...)``.

The token check is an ``async`` dependency, so that a request costs one trip to a thread, not two. A
token seen for the first time (or not lately) is looked up in a thread of its own before anything else
(an unknown or revoked token gets 401 whatever the request). A token verified in the last minute is
checked again inside the work, on the work's own connection, before anything is done: a revoked
token is refused from the next request on, by every server process, as before (only a request whose
body or parameters are invalid may then get its 422 before the 401).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from store import idempotency, rights, tokens
from store.db import db
from store.errors import InvalidInput, Refusal

from .errors import refusal_answer, unauthorized

bearer = HTTPBearer(auto_error=False, description="a token from `serialstock token create NAME`")

MAX_PAGE = 500


def _dumps(content: Any) -> str:
    if isinstance(content, BaseModel):
        return content.model_dump_json()  # pydantic's own serializer: several times faster than the encoder
    return json.dumps(jsonable_encoder(content), separators=(",", ":"), ensure_ascii=False)


def json_response(content: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(_dumps(content), status_code=status, media_type="application/json", headers=headers)


@dataclass
class Ctx:
    operator: str  # the token's name
    method: str
    path: str
    query: str
    idempotency_key: str | None = None
    recheck: tuple[dict, str, str] | None = None  # (the app's verified tokens, secret, its hash): check it again
    acting: rights.Acting | None = None  # the token's name, role and warehouse: the store's rights act on it

    def _still_valid(self) -> None:
        """For a token verified by an earlier request: is it still active, with the same role and
        warehouse? (In the work's connection.)"""
        if self.recheck is not None:
            verified, secret, key = self.recheck
            who = tokens.token_identity(secret)
            if who is None or who.name != self.operator:
                verified.pop(key, None)
                raise unauthorized(INVALID_TOKEN)
            if who != self.acting:
                verified[key] = (who, verified[key][1]) if key in verified else (who, 0.0)
                self.acting = who

    def acting_as(self) -> rights.Acting:
        return self.acting if self.acting is not None else rights.Acting(self.operator, token=True)

    def read(self, fn: Callable[[], Any]) -> Any:
        with db.connection_context():
            self._still_valid()
            with rights.acting(self.acting_as()):
                return fn()

    def write(self, fn: Callable[[], Any], *, status: int = 200, request_body: BaseModel | None = None) -> Response:
        """Do ``fn`` (which returns what to answer) and answer it. With an Idempotency-Key header the
        first answer, a refusal included, is recorded with the work and given again for a repeat."""
        if self.idempotency_key is None:
            with db.connection_context():
                self._still_valid()
                with rights.acting(self.acting_as()):
                    return json_response(fn(), status)

        def action() -> tuple[int, str]:
            try:
                return status, _dumps(fn())
            except Refusal as r:
                return refusal_answer(r)

        digest = hashlib.sha256(_dumps({
            "method": self.method, "path": self.path, "query": self.query,
            "body": request_body.model_dump(mode="json") if request_body is not None else None,
        }).encode("utf-8")).hexdigest()
        with db.connection_context():
            self._still_valid()
            with rights.acting(self.acting_as()):
                code, text, replayed = idempotency.run_once(self.operator, self.idempotency_key, digest, action)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return Response(text, status_code=code, media_type="application/json", headers=headers)


INVALID_TOKEN = "The bearer token is not valid: it is unknown or revoked."
VERIFIED_SECONDS = 60.0  # a token verified this recently is checked inside the work (see the module's doc)
VERIFIED_MAX = 1000  # tokens remembered per server process (forgotten all at once beyond that)


def _verify(secret: str) -> rights.Acting | None:
    with db.connection_context():
        return tokens.token_identity(secret)


async def check_bearer(app, authorization: str | None) -> None:
    """401 (ApiError) unless the Authorization header holds an active token: the body guard
    (api.limits) asks this before reading a request's body. The token is remembered as verified, so
    the endpoint's own check costs nothing more."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise unauthorized(MISSING_TOKEN)
    verified: dict[str, tuple[rights.Acting, float]] = app.state.verified_tokens
    key = tokens.hash_secret(secret)
    seen = verified.get(key)
    now = time.monotonic()
    if seen is not None and seen[1] > now:
        return
    who = await run_in_threadpool(_verify, secret)
    if who is None:
        verified.pop(key, None)
        raise unauthorized(INVALID_TOKEN)
    if len(verified) >= VERIFIED_MAX:
        verified.clear()
    verified[key] = (who, now + VERIFIED_SECONDS)


MISSING_TOKEN = ("A bearer token is required: send the header 'Authorization: Bearer <token>' with a token made by "
                 "`serialstock token create NAME`.")


async def authenticated(request: Request,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Ctx:
    if credentials is None:
        raise unauthorized(MISSING_TOKEN)
    secret = credentials.credentials
    ctx = Ctx("", request.method, request.url.path, request.url.query)
    verified: dict[str, tuple[rights.Acting, float]] = request.app.state.verified_tokens
    key = tokens.hash_secret(secret)
    seen = verified.get(key)
    now = time.monotonic()
    if seen is not None and seen[1] > now:
        ctx.operator, ctx.acting, ctx.recheck = seen[0].name, seen[0], (verified, secret, key)
        return ctx
    who = await run_in_threadpool(_verify, secret)
    if who is None:
        verified.pop(key, None)
        raise unauthorized(INVALID_TOKEN)
    if len(verified) >= VERIFIED_MAX:
        verified.clear()
    verified[key] = (who, now + VERIFIED_SECONDS)
    ctx.operator, ctx.acting = who.name, who
    return ctx


async def authenticated_post(  # no blocking work: async, so that it costs no trip to a thread
        ctx: Annotated[Ctx, Depends(authenticated)],
        idempotency_key: Annotated[str | None, Header(
            alias="Idempotency-Key", max_length=idempotency.MAX_KEY_LENGTH,
            description="send the same key again to retry safely: the first answer is given again and "
                        "nothing is done twice")] = None) -> Ctx:
    if idempotency_key is not None:
        ctx.idempotency_key = idempotency.clean_key(idempotency_key)
    return ctx


Auth = Annotated[Ctx, Depends(authenticated)]
AuthPost = Annotated[Ctx, Depends(authenticated_post)]


# --- keyset paging ------------------------------------------------------------------------------

def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str | None, check: Callable[[Any], bool]) -> Any:
    """The value inside an ``after`` cursor, or None; InvalidInput if it is not one this API gave."""
    if text is None or text == "":
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
        if check(value):
            return value
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        pass
    raise InvalidInput("The 'after' cursor is not one this API gave; start again without it.", field="after")


def is_code(v) -> bool:
    return isinstance(v, str) and 0 < len(v) <= 200 and "\x00" not in v


def is_id(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31


def page(rows: list, limit: int, key: Callable[[Any], Any]) -> tuple[list, str | None]:
    """Rows fetched with limit + 1: (the page, the cursor of the next page or None)."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None
