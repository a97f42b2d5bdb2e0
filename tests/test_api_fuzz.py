"""A bounded fuzz run over the OpenAPI schema (schemathesis on hypothesis): valid and invalid
requests to every operation, with a valid token. No answer may be a 500, each must match the
documented status codes, content type and response schema, and `check()` must pass afterwards.

Bounded: FUZZ_EXAMPLES examples per operation and mode (default 12; 45 operations x 2 modes), the
same ones every run (derandomized) so that CI is repeatable; set SERIALSTOCK_FUZZ_SEED to explore.
"""

from __future__ import annotations

import os
import time

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from store import tokens
from store.check import check
from tests.api_fixtures import release
from tests.helpers import receive

EXAMPLES = int(os.environ.get("SERIALSTOCK_FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("SERIALSTOCK_FUZZ_SEED")
BUDGET = 40.0  # seconds: the run stops early rather than go past it


def test_fuzz_over_the_openapi_schema_finds_no_500(stock, db_url):
    receive("PHONE-X", ["F-1", "F-2", "F-3"])
    receive("CABLE", [], qty=5)
    _, secret = tokens.create_token("fuzz")
    auth = {"Authorization": f"Bearer {secret}"}
    app = create_app(db_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 40
    started = time.monotonic()
    calls = {"n": 0, "by_status": {}}
    try:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if time.monotonic() - started > BUDGET:
                    break

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
                          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
                def run(case):
                    response = case.call_and_validate(headers=auth, checks=checks)
                    calls["n"] += 1
                    calls["by_status"][response.status_code] = calls["by_status"].get(response.status_code, 0) + 1

                run()
    finally:
        try:  # schemathesis keeps the app started (its lifespan) for the whole process unless told
            from schemathesis.python.asgi import shutdown_lifespans
        except ImportError:  # pragma: no cover - another schemathesis version
            shutdown_lifespans = None
        try:
            if shutdown_lifespans is not None:
                shutdown_lifespans()
        finally:
            release()
    print(f"fuzz: {calls['n']} requests in {time.monotonic() - started:.1f} s, by status {sorted(calls['by_status'].items())}")
    assert calls["n"] >= len(operations)
    assert not any(status >= 500 for status in calls["by_status"])
    assert check() == []
    release()
