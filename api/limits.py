"""What a request body must be before any of it is parsed: sent with a valid token, JSON, not too large,
arriving in good time, UTF-8, not absurdly nested.

``BodyGuard`` is a plain ASGI middleware in front of the app. For a request that carries a body (POST,
PUT, PATCH) it
- checks the bearer token first (401 without reading a byte of the body: a client with no token cannot
  make the server read and parse 300 MB);
- refuses a Content-Type other than JSON (415, naming what was sent: a form, text, nothing);
- refuses a body over ``max_bytes`` (413): at once when Content-Length says so, else as soon as that
  many bytes have arrived; default 10 MB, $SERIALSTOCK_API_MAX_BODY (bytes);
- gives up on a body that stops arriving for ``timeout`` seconds (408; default 30,
  $SERIALSTOCK_API_BODY_TIMEOUT), or that trickles in for longer than ten times that in all;
- refuses a body that is not UTF-8 or nests more than MAX_DEPTH arrays/objects (422), naming that.
Then the app gets the body it has read, as if it came from the client.
"""

from __future__ import annotations

import asyncio
import os

from fastapi.responses import JSONResponse

from .errors import ApiError, body

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
MAX_DEPTH = 64  # a document is 3 deep (document, lines, serials); the JSON parser's own limit is ~1,000
BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


def _env_number(name: str, default, kind=int):
    try:
        value = kind(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, about: dict | None = None):
        self.status, self.code, self.message, self.about = status, code, message, about or {}


def _depth_over(data: bytes, limit: int) -> bool:
    """True when the JSON text nests arrays/objects deeper than ``limit`` (strings skipped)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class BodyGuard:
    """ASGI middleware: see the module's doc."""

    def __init__(self, app, *, max_bytes: int | None = None, timeout: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes or _env_number("SERIALSTOCK_API_MAX_BODY", DEFAULT_MAX_BYTES)
        self.timeout = timeout or _env_number("SERIALSTOCK_API_BODY_TIMEOUT", DEFAULT_TIMEOUT, float)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        try:
            await self._token_first(scope, headers)
            self._content_type(headers)
            data = await self._read(receive, headers)
        except _Refused as r:
            response = JSONResponse(body(r.code, r.message, r.about), status_code=r.status,
                                    headers={"Connection": "close"} if r.status in (408, 413) else None)
            await response(scope, receive, send)
            return
        except ApiError as e:
            response = JSONResponse(body(e.code, e.message, e.about), status_code=e.status, headers=e.headers)
            await response(scope, receive, send)
            return
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _token_first(self, scope, headers: dict) -> None:
        from .deps import check_bearer

        await check_bearer(scope["app"], headers.get("authorization"))

    def _content_type(self, headers: dict) -> None:
        has_body = headers.get("content-length", "0") not in ("0", "") or "transfer-encoding" in headers
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if not has_body and not kind:
            return
        if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
            charset = headers.get("content-type", "").lower().partition("charset=")[2].strip(' "')
            if charset and charset not in ("utf-8", "utf8"):
                raise _Refused(415, "unsupported_media_type", f"The request body is sent as {charset}; send it as "
                               "UTF-8 (Content-Type: application/json; charset=utf-8).", {"in": "header",
                                                                                           "field": "Content-Type"})
            return
        if not kind:
            what = "no Content-Type header"
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            what = f"a form ({kind})"
        else:
            what = f"Content-Type {kind[:60]}"
        raise _Refused(415, "unsupported_media_type", f"The request body came with {what}; send JSON with the "
                       "header Content-Type: application/json.", {"in": "header", "field": "Content-Type"})

    async def _read(self, receive, headers: dict) -> bytes:
        limit = self.max_bytes
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise _Refused(400, "invalid_input", "The Content-Length header is not a number.",
                               {"in": "header", "field": "Content-Length"})
            if int(length) > limit:
                raise _Refused(413, "body_too_large", self._too_large(int(length)), {"in": "body"})
        chunks: list[bytes] = []
        size = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout * 10
        while True:
            if loop.time() > deadline:
                raise _Refused(408, "body_timeout", f"The request body took more than {self.timeout * 10:g} "
                               "seconds to arrive. Send it again over a faster connection, or in smaller "
                               "documents.", {"in": "body"})
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except asyncio.TimeoutError:
                raise _Refused(408, "body_timeout", f"The request body stopped arriving: nothing came for "
                               f"{self.timeout:g} seconds. Send it again.", {"in": "body"}) from None
            if message["type"] == "http.disconnect":
                raise _Refused(400, "invalid_input", "The client went away before the body arrived.", {"in": "body"})
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _Refused(413, "body_too_large", self._too_large(None), {"in": "body"})
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refused(422, "invalid_input", f"The request body is not valid UTF-8 (byte {exc.start + 1} of "
                           f"{len(data):,}); send JSON encoded as UTF-8.", {"in": "body"}) from None
        if _depth_over(data, MAX_DEPTH):
            raise _Refused(422, "invalid_input", f"The request body nests arrays and objects more than {MAX_DEPTH} "
                           "deep; a document needs 3 levels (document, lines, serials).", {"in": "body"})
        return data

    def _too_large(self, length: int | None) -> str:
        mb = self.max_bytes / (1024 * 1024)
        sent = f" ({length / (1024 * 1024):,.1f} MB)" if length else ""
        return (f"The request body is too large{sent}; at most {mb:g} MB is accepted "
                "($SERIALSTOCK_API_MAX_BODY on the server). Split the document (at most "
                "100,000 serials per document) or send fewer records at once.")
