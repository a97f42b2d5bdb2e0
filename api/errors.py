"""Every error the API answers with has one shape:

    {"error": {"code": "...", "message": "...", "about": {...}, "problems": [...]}}

``code`` is stable and machine-readable, ``message`` is the sentence the terminal app shows,
``about`` says which serial, line, item, document or field it concerns, and ``problems`` lists each
problem of a refused document (empty otherwise). Status: 422 invalid input, 409 conflict with the
current state, 404 unknown record, 403 the token's role may not do it (``forbidden``, naming the role
needed) or it asks for another warehouse than the token's, 401 no valid token.
"""

from __future__ import annotations

import json
import logging

import peewee
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from playhouse.pool import MaxConnectionsExceeded
from starlette.exceptions import HTTPException as StarletteHTTPException

from store.db import fault_of
from store.errors import DatabaseError, DatabaseFault, DocumentRefused, Refusal

log = logging.getLogger("serialstock.api")

STATUS = {"invalid": 422, "conflict": 409, "not_found": 404, "forbidden": 403}


class ApiError(Exception):
    """An error of the HTTP layer itself (no token, a bad cursor...)."""

    def __init__(self, status: int, code: str, message: str, *, about: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.about = about or {}
        self.headers = headers


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def body(code: str, message: str, about: dict | None = None, problems: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "about": about or {}, "problems": problems or []}}


def refusal_status(r: Refusal) -> int:
    # A document naming an unknown item, warehouse or partner is invalid input (422): 404 is kept for
    # the record the URL names.
    if isinstance(r, DocumentRefused) and r.category == "not_found":
        return 422
    return STATUS.get(r.category, 422)


def refusal_body(r: Refusal) -> dict:
    problems = [{"code": p.code, "message": p.message, "about": p.about()} for p in getattr(r, "problems", [])]
    return body(r.code, r.message, r.about(), problems)


def refusal_answer(r: Refusal) -> tuple[int, str]:
    """(status, JSON text): what a refusal is answered with, also when recorded for an idempotency key."""
    return refusal_status(r), json.dumps(refusal_body(r), separators=(",", ":"))


def _field(loc) -> tuple[str | None, str]:
    parts = list(loc)
    where = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header", "cookie") else None
    return where, ".".join(str(p) for p in parts)


def _validation_problems(errors) -> list[dict]:
    out = []
    for e in errors:
        where, field = _field(e.get("loc", ()))
        msg = str(e.get("msg", "is not valid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        kind = e.get("type", "")
        if kind == "json_invalid":
            text = f"The request body is not valid JSON ({e.get('ctx', {}).get('error', msg)})."
            about = {"in": "body"}
        else:
            name = field or where or "request"
            text = f"{name}: {msg}" if field else f"The request {where or ''}: {msg}".replace("  ", " ")
            about = {"field": field, "in": where} if field else {"in": where}
            if where == "header":
                text = f"Header {field}: {msg}"
        out.append({"code": "invalid_input", "message": text, "about": {k: v for k, v in about.items() if v}})
    return out


def install(app) -> None:
    @app.exception_handler(Refusal)
    async def _refusal(request: Request, exc: Refusal):
        return JSONResponse(refusal_body(exc), status_code=refusal_status(exc))

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse(body(exc.code, exc.message, exc.about), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = _validation_problems(exc.errors())
        if len(problems) == 1:
            message = problems[0]["message"]
        else:
            message = "The request is not valid:\n" + "\n".join(f"- {p['message']}" for p in problems)
        return JSONResponse(body("invalid_input", message, {}, problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        if status == 400:  # a body that cannot even be parsed is invalid input like any other
            return JSONResponse(body("invalid_input", f"The request body cannot be read: {exc.detail}."),
                                status_code=422)
        if status == 404:
            message, code = f"No such resource: {request.url.path}.", "not_found"
        elif status == 405:
            message, code = f"{request.method} is not allowed on {request.url.path}.", "method_not_allowed"
        else:
            message, code = str(exc.detail), "http_error"
        return JSONResponse(body(code, message), status_code=status, headers=getattr(exc, "headers", None))

    @app.exception_handler(DatabaseFault)
    async def _fault(request: Request, exc: DatabaseFault):
        # The disk is full, the file read-only or damaged: retrying will not help, so no Retry-After.
        return JSONResponse(body(exc.code, str(exc)), status_code=503)

    @app.exception_handler(DatabaseError)
    async def _database(request: Request, exc: DatabaseError):
        return JSONResponse(body("database_unavailable", str(exc)), status_code=503)

    @app.exception_handler(MaxConnectionsExceeded)
    async def _pool(request: Request, exc: MaxConnectionsExceeded):
        return JSONResponse(body("busy", "The server is busy; try again shortly."), status_code=503,
                            headers={"Retry-After": "1"})

    @app.exception_handler(peewee.OperationalError)
    async def _operational(request: Request, exc: peewee.OperationalError):
        log.warning("database error on %s %s: %s", request.method, request.url.path, exc)
        fault = fault_of(exc)
        if fault is not None:
            return JSONResponse(body(fault.code, str(fault)), status_code=503)
        return JSONResponse(body("database_busy", "The database is busy or unavailable; try again shortly."),
                            status_code=503, headers={"Retry-After": "1"})
