"""Time the contact budget's send-time check on PostgreSQL, for a busy shopper.

The check runs before every marketing message, so it must stay cheap when a shopper has a long
history: this builds one contact with ``--messages`` sent marketing messages spread over the last
30 days (every channel, many flows), ``--enrollments`` active enrollments with sends due, and a
frequency cap of 30 days, then times ``ContactBudget.held`` ``--runs`` times and prints one
``RESULT`` JSON line (p50/p99 in milliseconds, statements per check).

    .venv/bin/python bench/contact_budget.py [--messages 300] [--enrollments 20] [--runs 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.core.clock import ManualClock, utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Contact, Enrollment, Message, Shop  # noqa: E402
from app.messaging.budget import ContactBudget  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.ingest import app_env, bench_database  # noqa: E402
from flows.catalogue import get_flow  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/13"
FLOWS = ("abandoned_checkout", "browse_abandonment", "price_drop", "welcome_series", "win_back")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--enrollments", type=int, default=20)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    now = utcnow()
    with bench_database() as database_url:
        app = create_app(
            Config.from_env({**app_env(database_url), "REDIS_URL": REDIS_URL}), clock=ManualClock(now)
        )
        with app.app_context():
            flask_migrate.upgrade()
            shop = Shop(
                platform="shopify",
                domain="bench-budget.myshopify.com",
                name="Bench",
                installed_at=now,
                settings={"frequency_cap": {"messages": 20, "days": 30}},
            )
            db.session.add(shop)
            db.session.flush()
            contact = Contact(shop_id=shop.id, email="busy@example.com")
            db.session.add(contact)
            db.session.flush()
            enrollments = []
            for n in range(args.enrollments):
                flow_key = FLOWS[n % len(FLOWS)]
                enrollment = Enrollment(
                    shop_id=shop.id,
                    flow_key=flow_key,
                    subject_key=f"bench:{n}",
                    contact_id=contact.id,
                    step_index=1,
                    anchor_at=now,
                    next_run_at=now + timedelta(hours=n),
                    last_activity_at=now,
                    started_at=now - timedelta(days=1),
                )
                db.session.add(enrollment)
                enrollments.append(enrollment)
            db.session.flush()
            for n in range(args.messages):
                enrollment = enrollments[n % len(enrollments)]
                at = now - timedelta(days=30) * (n / args.messages)
                db.session.add(
                    Message(
                        shop_id=shop.id,
                        enrollment_id=enrollment.id,
                        contact_id=contact.id,
                        step_index=100 + n,
                        flow_key=enrollment.flow_key,
                        channel=("email", "sms", "push")[n % 3],
                        template="bench",
                        sent_at=at,
                        timeline=[],
                    )
                )
            db.session.commit()
            # The check is for a lower flow's message: it reads the history and the due sends.
            own = Enrollment(
                shop_id=shop.id,
                flow_key="welcome_series",
                subject_key="bench:own",
                contact_id=contact.id,
                anchor_at=now,
                last_activity_at=now,
                started_at=now,
            )
            db.session.add(own)
            db.session.commit()
            budget = ContactBudget(db.session)
            flow = get_flow("welcome_series")
            statements = 0

            def count(*_: object) -> None:
                nonlocal statements
                statements += 1

            timings = []
            event.listen(db.engine, "before_cursor_execute", count)
            for _ in range(args.runs):
                started = time.perf_counter()
                budget.held(shop, contact, own, flow, now)
                timings.append((time.perf_counter() - started) * 1000)
            event.remove(db.engine, "before_cursor_execute", count)
            timings.sort()
            result = {
                "messages": args.messages,
                "enrollments": args.enrollments,
                "runs": args.runs,
                "p50_ms": round(statistics.median(timings), 3),
                "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
                "statements_per_check": statements / args.runs,
            }
            print("RESULT " + json.dumps(result))
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
