"""The README demo's last act: what happens after the messages went out, and what they earned.

SendGrid's signed event webhook reports deliveries and opens (signed here with the demo's own
ECDSA key, whose public half is the demo's SENDGRID_WEBHOOK_PUBLIC_KEY); John clicks a product link
in his last reminder, which our redirect records and hands to the storefront with the signed
clicker; his browser's storefront snippet reports what he looks at, which links it to him; he
orders, and the order is credited to the reminder. Then the reports API tells each shop what every
flow sent, got opened and clicked, converted and earned.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from webhooks.sendgrid.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
JOHN = "example@email.com"
COLUMNS = ("sent", "delivered", "opened", "clicked", "converted", "revenue")


def sendgrid_public_key() -> str:
    """The verification key the demo's SendGrid signs with (base64 DER, as Mail Settings shows it)."""
    der = SENDGRID_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def aftermath(
    app: Any, base: str, shop_domain: str, place_order: Callable[[], None], offset: Callable[[], str]
) -> None:
    """Play the feedback, the click, the browsing and the order; wait for the order's credit."""
    emails = _sent_emails(app)
    john = [m for m in emails if m["to"] == JOHN]
    happened = int(app.extensions["storeflow"].clock.now().timestamp())  # flow time, as the sends
    events = [_sendgrid_event("delivered", m["id"], happened) for m in emails]
    events += [_sendgrid_event("open", m["id"], happened) for m in john]
    body = json.dumps(events).encode()
    stamp = str(int(time.time()))
    headers = {SIGNATURE_HEADER: sign(body, stamp, SENDGRID_KEY), TIMESTAMP_HEADER: stamp}
    answer = requests.post(f"{base}/webhooks/sendgrid", data=body, headers=headers, timeout=10)
    print(
        f"[{offset()}] sendgrid  signed event webhook: {len(emails)} delivered, {len(john)} opened by John"
        f" -> {answer.status_code} recorded {answer.json().get('recorded')}"
    )
    forged = requests.post(
        f"{base}/webhooks/sendgrid", data=body.replace(b"open", b"spamreport"), headers=headers, timeout=10
    )
    refusal = f"{forged.status_code} {forged.json()['error']}"
    print(f"[{offset()}] sendgrid  someone replays it as spam reports -> {refusal}")
    last = [m for m in john if m["flow"] == "abandoned_checkout"][-1]
    link = _storefront_link(app, last["id"])
    click = requests.get(f"{base}{urlsplit(link).path}", allow_redirects=False, timeout=10)
    target = click.headers["Location"]
    print(
        f"[{offset()}] click     John clicks a product in his last reminder -> {click.status_code} "
        f"{target.split('sf_c=')[0]}sf_c=…"
    )
    clicker = re.search(r"sf_c=([^&]+)", target)
    key = _storefront_key(app, shop_domain)
    visit = {
        "visitor": uuid.uuid4().hex,
        "events": [{"type": "product_viewed", "product_id": "632910392"}],
        "link": clicker.group(1) if clicker else None,
        "page": target,
    }
    browsed = requests.post(
        f"{base}/storefront/events?k={key}",
        data=json.dumps(visit),
        headers={"Content-Type": "text/plain", "Origin": _origin(target)},
        timeout=10,
    )
    print(f"[{offset()}] storefront John's browser reports product_viewed -> {browsed.status_code}")
    _wait_for(lambda: _visitor_contact(app) == JOHN, "the worker to link John's browser")
    print(f"[{offset()}] storefront the worker stored the visit and linked the browser to {JOHN}")
    place_order()
    _wait_for(lambda: _credited(app), "John's order to be credited")
    flow, step, revenue = _credited(app) or ("", 0, "")
    print(f"[{offset()}] attribution order #1018 ({revenue}) credited to {flow} step {step} (last click)")


def print_report(app: Any, base: str, start: Any, end: Any) -> None:
    """Print what each flow of each shop sent and earned, as GET /admin/api/reports tells it."""
    from app.db import db
    from app.db.models import Shop
    from app.web.admin.auth import login_link_token

    with app.app_context():
        shops = [(s.id, s.platform) for s in db.session.query(Shop).order_by(Shop.id)]
    print(f"\nWhat the flows earned, {start} to {end} (GET /admin/api/reports):")
    print(f"  {'shop':<8} {'flow':<20}" + "".join(f"{c:>10}" for c in COLUMNS[:-1]) + f"{COLUMNS[-1]:>14}")
    for shop_id, platform in shops:
        browser = requests.Session()
        browser.get(f"{base}/admin/login/{login_link_token(app.config['SECRET_KEY'], shop_id)}", timeout=10)
        report = browser.get(
            f"{base}/admin/api/reports", params={"start": start, "end": end}, timeout=10
        ).json()
        for row in report["per_flow"]:
            revenue = f"{row['revenue']} {report['currency'] or ''}".strip()
            figures = "".join(f"{row[c]:>10}" for c in COLUMNS[:-1])
            print(f"  {platform:<8} {row['flow_key']:<20}{figures}{revenue:>14}")


def _sendgrid_event(kind: str, message_id: int, happened: int) -> dict[str, Any]:
    return {
        "event": kind,
        "email": "",
        "timestamp": happened,
        "sg_event_id": uuid.uuid4().hex,
        "storeflow_message_id": str(message_id),
    }


def _sent_emails(app: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Message

    with app.app_context():
        rows = db.session.scalars(
            select(Message)
            .where(Message.channel == "email", Message.sent_at.is_not(None))
            .order_by(Message.id)
        )
        return [{"id": m.id, "to": m.to_address, "flow": m.flow_key} for m in rows]


def _storefront_link(app: Any, message_id: int) -> str:
    """Return the message's tracked link that leads into the shop's storefront."""
    from app.db import db
    from app.db.models import Message, Shop
    from app.messaging.links import click_url

    with app.app_context():
        message = db.session.get_one(Message, message_id)
        shop = db.session.get_one(Shop, message.shop_id)
        index = next(n for n, url in enumerate(message.links) if url.startswith(shop.store_url))
        return click_url(
            app.extensions["storeflow"].config.app_url, app.config["SECRET_KEY"], message.id, index
        )


def _storefront_key(app: Any, domain: str) -> str:
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Shop

    with app.app_context():
        return db.session.scalars(
            select(Shop.storefront_key).filter_by(platform="shopify", domain=domain)
        ).one()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _visitor_contact(app: Any) -> str | None:
    """Return John's email once a browser is linked to him (other shoppers' browsers may be too)."""
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Contact, Visitor

    with app.app_context():
        return db.session.scalars(
            select(Contact.email).join(Visitor, Visitor.contact_id == Contact.id).where(Contact.email == JOHN)
        ).first()


def _credited(app: Any) -> tuple[str, int, str] | None:
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Attribution

    with app.app_context():
        credit = db.session.scalars(select(Attribution)).first()
        return (credit.flow_key, credit.step_index, f"{credit.revenue} {credit.currency}") if credit else None


def _wait_for(condition: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.1)
