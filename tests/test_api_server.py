"""The API served by a real uvicorn process on loopback, started as `serialstock api` starts it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from store import tokens
from store.check import check
from store.lookups import find_serial

ROOT = Path(__file__).resolve().parents[1]

# What cli.main does for `serialstock --db URL api --port N`: open the database, then the handler.
LAUNCH = """
import argparse, sys
from serialstock import cli_api
from store import db as dbm
p = argparse.ArgumentParser(prog="serialstock")
p.add_argument("--db")
cli_api.register(p.add_subparsers(dest="command"))
args = p.parse_args(sys.argv[1:])
dbm.connect(args.db)
sys.exit(cli_api.HANDLERS[args.command](args))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
        **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


@pytest.mark.slow
def test_a_real_server_receives_and_issues_serials(stock, db_url):
    _, secret = tokens.create_token("eshop")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "--db", db_url, "api", "--port", str(port)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, schema, _ = call(base, "GET", "/openapi.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start:\n" + (proc.stdout.read() if proc.poll() is not None else ""))
                time.sleep(0.1)
        assert status == 200 and "/goods-receipts" in schema["paths"]

        assert call(base, "GET", "/items")[0] == 401
        body = {"partner": "ACME", "lines": [{"item": "PHONE-X", "quantity": 2, "serials": ["R1", "R2"]}]}
        status, gr, _ = call(base, "POST", "/goods-receipts", secret, body, {"Idempotency-Key": "gr-1"})
        assert status == 201 and gr["lines"][0]["serials"] == ["R1", "R2"] and gr["operator"] == "eshop"
        status, again, headers = call(base, "POST", "/goods-receipts", secret, body, {"Idempotency-Key": "gr-1"})
        assert status == 201 and again == gr and headers.get("idempotent-replayed") == "true"

        status, gi, _ = call(base, "POST", "/goods-issues", secret,
                             {"lines": [{"item": "PHONE-X", "quantity": 1, "serials": ["R1"]}]})
        assert status == 201
        status, refused, _ = call(base, "POST", "/goods-issues", secret,
                                  {"lines": [{"item": "PHONE-X", "quantity": 1, "serials": ["R1"]}]})
        assert status == 409 and refused["error"]["problems"][0]["about"]["document"] == gi["number"]
        status, serial, _ = call(base, "GET", "/serials/R1", secret)
        assert status == 200 and serial["data"][0]["status"] == "issued"
        status, levels, _ = call(base, "GET", "/stock?item=PHONE-X", secret)
        assert [r["quantity"] for r in levels["data"]] == ["1"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0, out
    assert "Uvicorn running on http://127.0.0.1:" in out
    # one process on SQLite (its writers queue inside it); on PostgreSQL one per CPU, at most 4
    processes = min(os.cpu_count() or 1, 4) if db_url.startswith("postgres") else 1
    assert f"{processes} process{'es' if processes > 1 else ''};" in out
    assert len(set(re.findall(r"Started server process \[(\d+)\]", out))) == processes
    assert [m.operator for m in find_serial("R1")[0].history] == ["eshop", "eshop"]
    assert check() == []


def _start(db_url: str, *args: str) -> tuple[subprocess.Popen, str, Path]:
    """`serialstock --db URL api --port N ARGS` with its output in a file; (process, base URL, log)."""
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"serialstock-api-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "--db", db_url, "api", "--port", str(port), *args],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}", log


def _stop(proc: subprocess.Popen, log: Path) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    text = log.read_text()
    log.unlink(missing_ok=True)
    return text


def _fresh(base, method, path, token):
    """A request on a connection of its own (the kernel hands each new connection to one of the workers)."""
    return call(base, method, path, token)[0]


@pytest.mark.slow
def test_a_server_of_two_processes_serves_and_every_process_refuses_a_revoked_token(stock, db_url):
    import http.client
    from urllib.parse import urlsplit

    _, secret = tokens.create_token("eshop")
    proc, base, log = _start(db_url, "--workers", "2")
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < 2:  # both processes are up
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start:\n" + log.read_text())
            time.sleep(0.1)
        pids = set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))
        assert len(pids) == 2 and str(proc.pid) not in pids  # two worker processes beside the supervisor

        # keep-alive connections opened at once (spread over the workers), each used before and after
        port = urlsplit(base).port
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(8)]
        for c in conns:
            c.connect()
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        for i, c in enumerate(conns):
            c.request("POST", "/goods-receipts", json.dumps(
                {"lines": [{"item": "PHONE-X", "quantity": 1, "serials": [f"W{i}"]}]}), headers)
            r = c.getresponse()
            assert r.status == 201 and json.loads(r.read())["operator"] == "eshop"
        assert all(_fresh(base, "GET", "/items", secret) == 200 for _ in range(12))

        tokens.revoke_token("eshop")
        for c in conns:
            c.request("GET", "/stock", headers=headers)
            r = c.getresponse()
            assert r.status == 401 and json.loads(r.read())["error"]["code"] == "unauthorized"
            c.close()
        assert [_fresh(base, "GET", "/items", secret) for _ in range(12)] == [401] * 12
        _, new_secret = tokens.create_token("eshop")
        assert _fresh(base, "GET", "/serials/W0", new_secret) == 200
    finally:
        out = _stop(proc, log)
    assert proc.returncode == 0, out
    assert "2 processes" in out
    assert all([h.operator for h in find_serial(f"W{i}")[0].history] == ["eshop"] for i in range(8))
    assert check() == []
