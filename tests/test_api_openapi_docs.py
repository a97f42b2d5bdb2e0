"""The OpenAPI document describes every operation and shows an example body for every request body,
and the examples are bodies the API takes."""

from __future__ import annotations

import pytest

from api.app import create_app
from tests.api_fixtures import api  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return create_app(f"sqlite:///{tmp_path_factory.mktemp('o') / 'x.db'}").openapi()


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def _examples(spec, op) -> list:
    media = op["requestBody"]["content"]["application/json"]
    found = [media["example"]] if "example" in media else list((media.get("examples") or {}).values())
    schema = media["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return found or list(schema.get("examples") or [])  # the operation's own, else its schema's


def test_every_operation_has_a_description(spec):
    missing = [name for name, op in _operations(spec) if len((op.get("description") or "").strip()) < 20]
    assert missing == []


def test_every_request_body_has_an_example(spec):
    missing = [name for name, op in _operations(spec) if "requestBody" in op and not _examples(spec, op)]
    assert missing == []
    assert sum("requestBody" in op for _, op in _operations(spec)) >= 16


def test_the_examples_are_taken_by_the_api(stock, api):
    """Every example is a valid body: posted as shown, it is saved, or refused only by the state of the
    database (409), never as malformed (422)."""
    from store import catalog

    catalog.create_partner("SHOP", "E-shop")
    served = api.get("/openapi.json").json()
    for name, op in _operations(served):
        if "requestBody" not in op:
            continue
        method, path = name.split(" ", 1)
        for example in _examples(served, op):
            url = path.replace("{code}", "PHONE-X").replace("{number}", "GR-2026-0001")
            r = api.request(method, url, json=example)
            assert r.status_code != 422, (name, example, r.json())
