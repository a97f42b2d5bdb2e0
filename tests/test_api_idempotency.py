"""Retries are safe: a POST repeated with the same Idempotency-Key gets the first answer and changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from store import idempotency
from store.lookups import find_serial, stock_of
from store.models import Document, IdempotencyKey
from tests.api_fixtures import api, receipt  # noqa: F401  (fixture)


def test_a_repeated_post_returns_the_first_answer_and_changes_nothing(api):
    key = {"Idempotency-Key": "order-1001"}
    first = api.post("/goods-receipts", json=receipt(["K1", "K2"]), headers=key)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = api.post("/goods-receipts", json=receipt(["K1", "K2"]), headers=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert Document.select().count() == 1 and stock_of("PHONE-X") == 2
    assert len(find_serial("K1")[0].history) == 1
    # the same body sent as different JSON text (numbers as strings, other spacing) is the same request
    same = api.post("/goods-receipts", headers={**key, "content-type": "application/json"},
                    content=b'{ "lines": [ {"serials": ["K1", "K2"], "item": "PHONE-X", "quantity": 2} ] }')
    assert same.status_code == 201 and same.json()["number"] == first.json()["number"]


def test_the_same_key_for_a_different_request_is_refused(api):
    key = {"Idempotency-Key": "k-7"}
    assert api.post("/goods-receipts", json=receipt(["K1"]), headers=key).status_code == 201
    for path, body in [("/goods-receipts", receipt(["K9"])), ("/goods-issues", receipt(["K1"])),
                       ("/items", {"code": "NEW", "name": "New"})]:
        r = api.post(path, json=body, headers=key)
        assert r.status_code == 422
        e = r.json()["error"]
        assert e["code"] == "idempotency_key_reused" and e["about"] == {"field": "idempotency_key"}
        assert e["message"] == ("Idempotency key k-7 was used before for a different request; "
                                "use a new key for a new request.")
    assert Document.select().count() == 1 and stock_of("PHONE-X") == 1


def test_a_refusal_is_the_first_answer_too(api):
    key = {"Idempotency-Key": "issue-55"}
    r = api.post("/goods-issues", json=receipt(["LATE"]), headers=key)
    assert r.status_code == 409 and r.json()["error"]["problems"][0]["code"] == "serial_not_available"
    api.post("/goods-receipts", json=receipt(["LATE"]))
    again = api.post("/goods-issues", json=receipt(["LATE"]), headers=key)
    assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == r.json() and stock_of("PHONE-X") == 1
    assert api.post("/goods-issues", json=receipt(["LATE"]), headers={"Idempotency-Key": "issue-56"}).status_code == 201


def test_a_request_refused_before_it_reaches_the_store_leaves_the_key_unused(api):
    key = {"Idempotency-Key": "k-8"}
    assert api.post("/goods-receipts", json={"lines": "nope"}, headers=key).status_code == 422
    assert api.post("/goods-receipts", json=receipt(["K1"]), headers=key).status_code == 201


def test_keys_belong_to_their_token(api, db_url):
    from store import tokens

    _, other = tokens.create_token("portal")
    key = {"Idempotency-Key": "same"}
    a = api.post("/goods-receipts", json=receipt(["A"]), headers=key).json()
    b = api.post("/goods-receipts", json=receipt(["B"]), headers={**key, "Authorization": f"Bearer {other}"}).json()
    assert a["number"] != b["number"] and (a["operator"], b["operator"]) == ("eshop", "portal")


def test_other_posts_are_idempotent_too(api):
    key = {"Idempotency-Key": "wh-1"}
    assert api.post("/warehouses", json={"code": "C", "name": "C"}, headers=key).status_code == 201
    r = api.post("/warehouses", json={"code": "C", "name": "C"}, headers=key)
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"
    pi = api.post("/purchase-invoices", json=receipt(["X"], generate_movement=False, partner="ACME")).json()
    key = {"Idempotency-Key": "stock-doc-1"}
    first = api.post(f"/purchase-invoices/{pi['number']}/stock-document", headers=key)
    assert first.status_code == 201 and first.json()["kind"] == "receipt"
    again = api.post(f"/purchase-invoices/{pi['number']}/stock-document", headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert Document.select().where(Document.kind == "receipt").count() == 1 and stock_of("PHONE-X") == 1


def test_concurrent_retries_with_one_key_do_the_work_once(api):
    key = {"Idempotency-Key": "burst"}

    def send(_):
        r = api.post("/goods-receipts", json=receipt(["C1", "C2", "C3"]), headers=key)
        return r.status_code, r.json()["number"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(16)))
    assert len(set(answers)) == 1 and answers[0][0] == 201
    assert Document.select().count() == 1 and stock_of("PHONE-X") == 3


def test_old_keys_are_pruned(api):
    api.post("/goods-receipts", json=receipt(["K1"]), headers={"Idempotency-Key": "old"})
    assert idempotency.prune() == 0
    assert idempotency.prune(days=-1) == 1 and IdempotencyKey.select().count() == 0
