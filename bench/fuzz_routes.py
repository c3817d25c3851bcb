"""The route fuzz at full size: 10,000 or more generated requests over every route, no 5xx allowed.

The same generator as ``tests/test_fuzz_endpoints.py::test_no_request_to_any_route_gets_a_server_error``
(``tests/support/route_fuzz.py``: every rule of the URL map and every method, plus the doors ahead of
Flask; hostile path values, query strings, forms, JSON, raw bodies and headers; half as the signed-in
merchant, half signed for real as Shopify, Saleor, SendGrid or Twilio), through the Flask test client
of a real app on its own PostgreSQL database (created, migrated and dropped here) and Redis.
Unlike the test, it does not stop at the first 5xx: it counts them, prints each distinct one
(door, status, first line of the error) with a request that caused it, and exits 1 if there was any.

    .venv/bin/python bench/fuzz_routes.py                 # 10,000 requests, about 5 minutes
    .venv/bin/python bench/fuzz_routes.py --requests 20000 --seed 7

Redis: ``TEST_REDIS_URL`` when set, else database 12 (flushed before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from psycopg import sql
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.clock import ManualClock  # noqa: E402
from app.db import db  # noqa: E402
from tests.conftest import POSTGRES_ADMIN_URL, _pg_url, test_config  # noqa: E402
from tests.support.factories import Factory  # noqa: E402
from tests.support.route_fuzz import FuzzRequest, RouteFuzzer, doors, make_target, requests_for  # noqa: E402
from tests.support.saleor import ALLOWLIST  # noqa: E402
from tests.support.sendgrid_events import public_key  # noqa: E402

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--by-door", action="store_true", help="print the statuses each door answered")
    args = parser.parse_args()

    os.environ["TEST_REDIS_URL"] = REDIS_URL
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    name = f"storeflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        failures = run(_pg_url(name), args.requests, args.seed, args.by_door)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        redis.flushdb()
    sys.exit(1 if failures else 0)


def run(database_url: str, wanted: int, seed_value: int, by_door: bool) -> int:
    import flask_migrate

    from app.web.factory import create_app

    config = test_config(
        database_url,
        redis_url=REDIS_URL,
        sendgrid_webhook_public_key=public_key(),
        twilio_auth_token="test-auth-token",
        saleor_allowed_api_urls=ALLOWLIST,
    )
    app = create_app(config, clock=ManualClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)))
    with app.app_context():
        flask_migrate.upgrade()
        target = make_target(Factory(db.session, ManualClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))))
    fuzzer = RouteFuzzer(app, target)
    statuses: Counter[int] = Counter()
    per_door: Counter[str] = Counter()
    door_statuses: dict[str, Counter[str]] = {}
    server_errors: dict[tuple[str, int, str], FuzzRequest] = {}
    started = time.monotonic()

    @seed(seed_value)
    @settings(
        max_examples=wanted,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        request = data.draw(requests_for(app))
        door = f"{request.door.method} {request.door.path}"
        per_door[door] += 1
        try:
            status = fuzzer.send(request).status_code
            error = ""
        except Exception as exc:  # the test client re-raises a view's exception in tests (a 500)
            status, error = 500, traceback.format_exception_only(exc)[-1].strip()[:160]
        statuses[status] += 1
        who = "merchant" if request.as_admin else "signed" if request.signed else "anonymous"
        door_statuses.setdefault(door, Counter())[f"{who} {status}"] += 1
        if status >= 500:
            server_errors.setdefault((door, status, error), request)

    with fuzzer.outbound_faked():
        one()
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(f"requests: {total} in {elapsed:.0f} s over {len(per_door)} of {len(doors(app))} doors")
    print("statuses: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    print(f"fewest requests to one door: {min(per_door.values())}")
    if by_door:
        for door, seen in sorted(door_statuses.items()):
            print(f"  {door}: " + ", ".join(f"{key} x{n}" for key, n in sorted(seen.items())))
    fives = sum(n for status, n in statuses.items() if status >= 500)
    for (door, status, error), request in sorted(server_errors.items()):
        print(f"5xx: {status} {door} {error}\n     e.g. {request}")
    print(f"5xx answers: {fives}")
    print("RESULT " + json.dumps({"requests": total, "server_errors": fives, "seconds": round(elapsed)}))
    print("PASS" if fives == 0 and total >= wanted else "FAIL")
    return fives


if __name__ == "__main__":
    main()
