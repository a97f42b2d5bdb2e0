"""The body guard (api.limits.BodyGuard) in front of the API: the token is checked before a byte of the
body is read, a body that stops arriving is given up on (408), a body over the limit is refused as it
arrives (413). Driven at the ASGI level, where a client can stall mid-body."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from api import deps
from api.limits import BodyGuard


def _scope(headers: dict, app=None) -> dict:
    return {"type": "http", "method": "POST", "path": "/goods-receipts", "app": app or SimpleNamespace(
        state=SimpleNamespace(verified_tokens={})),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


async def _run(guard, scope, chunks, *, stall=False):
    sent, reads = [], []

    async def receive():
        reads.append(1)
        if chunks:
            body = chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(chunks) or stall}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    await guard(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    return status, payload, reads


async def _never(scope, receive, send):  # the app behind the guard: must not be reached in these tests
    raise AssertionError("the app was called")


async def test_no_token_is_refused_before_the_body_is_read():
    status, payload, reads = await _run(BodyGuard(_never), _scope({"content-type": "application/json",
                                                                   "content-length": "300000000"}), [b"{"])
    assert status == 401 and payload["error"]["code"] == "unauthorized"
    assert reads == []  # not one byte of the 300 MB was asked for


async def _token_ok(app, authorization):
    return None


async def test_a_body_that_stops_arriving_is_given_up(monkeypatch):
    monkeypatch.setattr(deps, "check_bearer", _token_ok)
    guard = BodyGuard(_never, timeout=0.2)
    status, payload, _ = await _run(guard, _scope({"content-type": "application/json", "authorization": "Bearer x"}),
                                    [b'{"lines": ['], stall=True)
    assert status == 408 and payload["error"]["code"] == "body_timeout"
    assert "stopped arriving" in payload["error"]["message"]


async def test_a_body_that_trickles_in_is_given_up(monkeypatch):
    monkeypatch.setattr(deps, "check_bearer", _token_ok)
    guard = BodyGuard(_never, timeout=0.02)
    sent = []

    async def receive():  # a byte every 15 ms: never stalls for the 20 ms timeout, never ends
        await asyncio.sleep(0.015)
        return {"type": "http.request", "body": b" ", "more_body": True}

    async def send(message):
        sent.append(message)

    await guard(_scope({"content-type": "application/json", "authorization": "Bearer x"}), receive, send)
    assert sent[0]["status"] == 408
    assert b"took more than" in sent[1]["body"]


async def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(monkeypatch):
    monkeypatch.setattr(deps, "check_bearer", _token_ok)
    guard = BodyGuard(_never, max_bytes=1000)
    chunks = [b"x" * 600, b"x" * 600, b"x" * 600]
    status, payload, reads = await _run(guard, _scope({"content-type": "application/json",
                                                       "transfer-encoding": "chunked", "authorization": "Bearer x"}),
                                        chunks)
    assert status == 413 and "too large" in payload["error"]["message"]
    assert len(reads) == 2  # refused at the second chunk, the third never read


async def test_a_body_within_the_limit_reaches_the_app(monkeypatch):
    monkeypatch.setattr(deps, "check_bearer", _token_ok)
    seen = []

    async def app(scope, receive, send):
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    status, _, _ = await _run(BodyGuard(app), _scope({"content-type": "application/json",
                                                      "authorization": "Bearer x"}), [b'{"a": ', b"1}"])
    assert status == 200 and seen[0]["body"] == b'{"a": 1}' and seen[0]["more_body"] is False
