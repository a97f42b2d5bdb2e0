"""Roles through the HTTP API: a token of every role against every endpoint (403 ``forbidden`` naming the
role needed, or done), a role change seen by the next request, and a token limited to one warehouse."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from store import catalog, rights, tokens
from store.documents import DocumentIn, LineIn, save_document
from store.rights import ROLES, rank
from tests.api_fixtures import receipt, release
from tests.helpers import receive, transfer


@pytest.fixture
def world(stock, db_url):
    """Serials S1-S3 in MAIN and B1 in B, an invoice without stock movement, a partner and a warehouse
    nothing uses; a token of every role, and one limited to warehouse B."""
    r = receive("PHONE-X", ["S1", "S2"])
    receive("PHONE-X", ["S3", "S4"])
    receive("PHONE-X", ["B1", "BX"])
    transfer("PHONE-X", ["BX"], to="B")
    inv = save_document(DocumentIn("purchase_invoice", [LineIn("PHONE-X", 1, None, ["P1"])], partner="ACME",
                                   generate_movement=False), operator="t")
    catalog.create_partner("IDLE", "Nobody uses it")
    catalog.create_warehouse("EMPTY", "Nothing here")
    secrets = {role: tokens.create_token(f"t-{role}", role)[1] for role in ROLES}
    secrets["shop-b"] = tokens.create_token("shop-b", "floor", "B")[1]
    client = TestClient(create_app(db_url))
    with client:
        yield client, secrets, r.number, inv.number
        dbm_close()
    release()


def dbm_close():
    from store import db as dbm

    dbm.db.close()


def _receipt_body(codes, **kw):
    return receipt(codes, **kw)


# (name, the action it needs, method, path, body); paths with {r}: the receipt, {i}: the invoice
ENDPOINTS = [
    ("list items", "read", "GET", "/items", None),
    ("get item", "read", "GET", "/items/PHONE-X", None),
    ("create item", "items", "POST", "/items", {"code": "NEW", "name": "New"}),
    ("update item", "items", "PATCH", "/items/CABLE", {"name": "Cable 2 m"}),
    ("switch tracking", "tracking", "PATCH", "/items/CABLE", {"tracked": True}),
    ("delete item", "items", "DELETE", "/items/CABLE", None),
    ("list warehouses", "read", "GET", "/warehouses", None),
    ("create warehouse", "warehouses", "POST", "/warehouses", {"code": "C", "name": "Third"}),
    ("update warehouse", "warehouses", "PATCH", "/warehouses/B", {"name": "Second 2"}),
    ("delete warehouse", "warehouses", "DELETE", "/warehouses/EMPTY", None),
    ("list partners", "read", "GET", "/partners", None),
    ("create partner", "partners", "POST", "/partners", {"code": "NEWP", "name": "New"}),
    ("update partner", "partners", "PATCH", "/partners/ACME", {"name": "Acme 2"}),
    ("delete partner", "partners", "DELETE", "/partners/IDLE", None),
    ("list receipts", "read", "GET", "/goods-receipts", None),
    ("get receipt", "read", "GET", "/goods-receipts/{r}", None),
    ("receive", "receive", "POST", "/goods-receipts", _receipt_body(["N1"])),
    ("issue", "issue", "POST", "/goods-issues", _receipt_body(["S3"])),
    ("transfer", "transfer", "POST", "/transfers", _receipt_body(["S4"], to_warehouse="B")),
    ("purchase invoice", "invoice", "POST", "/purchase-invoices", _receipt_body(["N2"], partner="ACME")),
    ("stock document of an invoice", "invoice", "POST", "/purchase-invoices/{i}/stock-document", None),
    ("edit receipt", "edit_document", "PUT", "/goods-receipts/{r}", _receipt_body(["S1", "S2", "N3"])),
    ("delete receipt", "delete_document", "DELETE", "/goods-receipts/{r}", None),
    ("list serials", "read", "GET", "/serials?status=in_stock", None),
    ("get serial", "read", "GET", "/serials/S1", None),
    ("stock", "read", "GET", "/stock", None),
    ("lookup", "read", "GET", "/lookup?scan=S1", None),
]


def _call(client, secret, method, path, body, r, i):
    return client.request(method, path.format(r=r, i=i), json=body, headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_endpoint(world, role):
    client, secrets, r, i = world
    for name, action, method, path, body in ENDPOINTS:
        answer = _call(client, secrets[role], method, path, body, r, i)
        if rank(role) >= rank(rights.needs(action)):
            assert answer.status_code < 300, (name, answer.text)
            continue
        assert answer.status_code == 403, (name, answer.text)
        e = answer.json()["error"]
        assert e["code"] == "forbidden", name
        assert e["about"]["needs"] == rights.needs(action) and e["about"]["role"] == role, name
        assert f"needs the role {rights.needs(action)}" in e["message"] and f"t-{role}" in e["message"], name
    from store.check import check

    assert check() == []


def test_a_refused_post_with_an_idempotency_key_answers_403_again(world):
    client, secrets, r, i = world
    h = {"Authorization": f"Bearer {secrets['viewer']}", "Idempotency-Key": "k1"}
    first = client.post("/goods-receipts", json=receipt(["K1"]), headers=h)
    again = client.post("/goods-receipts", json=receipt(["K1"]), headers=h)
    assert first.status_code == again.status_code == 403 and again.json() == first.json()


def test_a_role_change_is_seen_by_the_next_request(world):
    """A token's role is read again with its validity on every request (tokens are remade to change it)."""
    client, secrets, r, i = world
    h = {"Authorization": f"Bearer {secrets['admin']}"}
    assert client.get("/items", headers=h).status_code == 200
    tokens.revoke_token("t-admin")
    assert client.post("/items", json={"code": "Z", "name": "Z"}, headers=h).status_code == 401


def test_the_openapi_document_lists_403(world):
    client, *_ = world
    paths = client.get("/openapi.json").json()["paths"]
    assert "403" in paths["/goods-receipts"]["post"]["responses"]
    assert "403" in paths["/serials"]["get"]["responses"]


def test_a_token_limited_to_one_warehouse_neither_reads_nor_moves_another(world):
    client, secrets, r, i = world
    h = {"Authorization": f"Bearer {secrets['shop-b']}"}
    assert {s["code"] for s in client.get("/serials?status=in_stock", headers=h).json()["data"]} == {"BX"}
    assert client.get("/serials?warehouse=MAIN", headers=h).status_code == 403
    assert client.get("/serials/S1", headers=h).status_code == 404  # another warehouse's serial: not there
    assert {s["warehouse"] for s in client.get("/stock", headers=h).json()["data"]} == {"B"}
    assert client.get("/stock?warehouse=MAIN", headers=h).status_code == 403
    assert client.get(f"/goods-receipts/{r}", headers=h).status_code == 403
    assert all(d["warehouse"] == "B" or d.get("to_warehouse") == "B"
               for d in client.get("/transfers", headers=h).json()["data"])
    assert client.get("/goods-receipts", headers=h).json()["data"] == []  # every receipt was in MAIN
    assert [x["warehouse"] for x in client.get("/items/PHONE-X", headers=h).json()["stock"]] == ["B"]
    refused = client.post("/goods-issues", json=receipt(["S3"], warehouse="MAIN"), headers=h)
    assert refused.status_code == 403 and "warehouse B" in refused.json()["error"]["message"]
    assert client.post("/transfers", json=receipt(["BX"], warehouse="B", to_warehouse="MAIN"),
                       headers=h).status_code == 403
    assert client.delete(f"/goods-receipts/{r}", headers=h).status_code == 403
    made = client.post("/goods-receipts", json=receipt(["NB1"]), headers=h)  # no warehouse: its own
    assert made.status_code == 201 and made.json()["warehouse"] == "B"
    assert client.post("/goods-issues", json=receipt(["BX"]), headers=h).status_code == 201
    from store.lookups import list_serials

    assert {s.code for s in list_serials(warehouse="MAIN")} == {"S1", "S2", "S3", "S4", "B1"}
