"""Stock counts and stock adjustments over the HTTP API (issue 15), on SQLite and PostgreSQL."""

from __future__ import annotations

from store.lookups import stock_of
from tests.api_fixtures import api, receipt  # noqa: F401  (fixture)


def err(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert e["code"] == code
    return e


def test_count_scan_post_and_delete_the_adjustment(api):
    assert api.post("/goods-receipts", json=receipt(["A1", "A2", "A3"])).status_code == 201
    assert api.post("/goods-receipts", json=receipt(["B1"], warehouse="B")).status_code == 201
    assert api.post("/goods-receipts", json={"lines": [{"item": "CABLE", "quantity": 10}]}).status_code == 201
    r = api.post("/stock-counts", json={"warehouse": "MAIN", "items": ["PHONE-X", "CABLE"]})
    assert r.status_code == 201, r.text
    count = r.json()
    n = count["number"]
    assert n.startswith("SC-") and count["status"] == "open" and count["items"] == ["CABLE", "PHONE-X"]
    assert count["operator"] == "eshop" and count["started_at"].endswith("Z")

    r = api.post(f"/stock-counts/{n}/scans", json={"serials": ["A1", "A2", "B1"]})
    assert r.status_code == 200, r.text
    assert [(s["serial"], s["expected"], s["where"]) for s in r.json()["scans"]] == [
        ("A1", True, None), ("A2", True, None), ("B1", False, "B")]
    r = api.post(f"/stock-counts/{n}/scans", json={"item": "CABLE", "quantity": "8"})
    assert r.json()["figures"][0]["difference"] == "-2"
    # serials add up; the cable's metres do not add to them: it is one untracked item off
    assert r.json()["totals"] == {"expected": "3", "counted": "3", "missing": "1", "extra": "1",
                                  "untracked_items": 1, "untracked_items_differing": 1}

    got = api.get(f"/stock-counts/{n}").json()
    assert [d["serial"] for d in got["missing"]] == ["A3"]
    assert [(d["serial"], d["why"], d["where"], d["scanned_by"]) for d in got["extra"]] == [
        ("B1", "in another warehouse", "B", "eshop")]
    assert [c["number"] for c in api.get("/stock-counts", params={"status": "open"}).json()["data"]] == [n]

    r = api.post(f"/stock-counts/{n}/post")
    assert r.status_code == 201, r.text
    adj = r.json()
    assert adj["kind"] == "adjustment" and adj["number"].startswith("SA-") and adj["count"] == n
    assert [(l["item"], l["quantity"], l["serials"], l["from_warehouse"]) for l in adj["lines"]] == [
        ("CABLE", "-2", [], None), ("PHONE-X", "-1", ["A3"], None), ("PHONE-X", "1", ["B1"], "B")]
    assert (stock_of("PHONE-X", "MAIN"), stock_of("PHONE-X", "B"), stock_of("CABLE", "MAIN")) == (3, 0, 8)
    assert api.get(f"/stock-counts/{n}").json()["adjustment"] == adj["number"]
    assert api.get(f"/stock-adjustments/{adj['number']}").json()["number"] == adj["number"]
    assert [d["number"] for d in api.get("/stock-adjustments").json()["data"]] == [adj["number"]]
    err(api.get("/stock-adjustments/GR-2026-0001"), 404, "not_found")
    err(api.post(f"/stock-counts/{n}/scans", json={"serials": ["A3"]}), 409, "count_closed")

    assert api.delete(f"/stock-adjustments/{adj['number']}").status_code == 204
    assert (stock_of("PHONE-X", "MAIN"), stock_of("PHONE-X", "B"), stock_of("CABLE", "MAIN")) == (3, 1, 10)
    assert api.get(f"/stock-counts/{n}").json()["adjustment_deleted"] is True


def test_count_refusals(api):
    api.post("/goods-receipts", json=receipt(["A1"]))
    err(api.post("/stock-counts", json={"warehouse": "NOPE"}), 404, "not_found")
    err(api.post("/stock-counts", json={"warehouse": "MAIN", "items": ["NOPE"]}), 404, "not_found")
    err(api.get("/stock-counts/SC-1999-0001"), 404, "not_found")
    n = api.post("/stock-counts", json={"warehouse": "MAIN"}).json()["number"]
    api.post(f"/stock-counts/{n}/scans", json={"serials": ["A1"]})
    e = err(api.post(f"/stock-counts/{n}/scans", json={"serials": ["ZZ", "A1"]}), 422, "document_refused")
    assert [p["code"] for p in e["problems"]] == ["invalid_input", "duplicate_serial"]
    assert "eshop scanned it at" in e["problems"][1]["message"]
    # all or none: ZZ with its item is fine, but A1 again refuses the whole request
    err(api.post(f"/stock-counts/{n}/scans", json={"serials": ["ZZ", "A1"], "item": "PHONE-X"}), 422, "document_refused")
    assert api.get(f"/stock-counts/{n}").json()["totals"]["counted"] == "1"
    e = err(api.post(f"/stock-counts/{n}/scans", json={"serials": ["ZZ", "bad\u0007"], "item": "PHONE-X"}), 422,
            "document_refused")
    assert [p["code"] for p in e["problems"]] == ["invalid_serial"]
    assert api.get(f"/stock-counts/{n}").json()["totals"]["counted"] == "1"
    err(api.post(f"/stock-counts/{n}/scans", json={"serials": ["A2"], "quantity": 1}), 422, "invalid_input")
    err(api.post(f"/stock-counts/{n}/scans", json={"item": "PHONE-X", "quantity": 1}), 422, "invalid_input")
    api.post("/goods-issues", json=receipt(["A1"]))
    e = err(api.post(f"/stock-counts/{n}/post"), 409, "document_refused")
    assert e["problems"][0]["code"] == "moved_since"
    assert api.post(f"/stock-counts/{n}/cancel").json()["status"] == "cancelled"
    err(api.post(f"/stock-counts/{n}/post"), 409, "count_closed")
    err(api.post("/goods-receipts", json={"lines": []}), 422, "document_refused")
