"""Sign in to the admin from a test client, and build another shop's private rows."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from app.db.models import Contact, Enrollment, Message, Shop
from app.web.admin.auth import login_link_token
from tests.support.factories import Factory


def log_in(client: FlaskClient, shop_id: int) -> str:
    """Use a one-time login link and return the page's CSRF token."""
    page = client.get(f"/admin/login/{login_link_token('test-secret-key', shop_id)}", follow_redirects=True)
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def private_message(factory: Factory, shop: Shop, email: str = "private@beta.example") -> Message:
    """Give a shop a contact, an enrollment and a sent message, and return the message."""
    contact = factory.session.query(Contact).filter_by(shop_id=shop.id, email=email).first()
    if contact is None:
        contact = factory.contact(shop, email=email, first_name="Pat", email_consent="subscribed")
    now = factory.clock.now()
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key="thank_you",
        subject_key=f"order:{contact.id}",
        contact_id=contact.id,
        anchor_at=now,
        last_activity_at=now,
        started_at=now,
    )
    factory.session.add(enrollment)
    factory.session.flush()
    message = Message(
        shop_id=shop.id,
        enrollment_id=enrollment.id,
        contact_id=contact.id,
        step_index=1,
        flow_key="thank_you",
        channel="email",
        template="thank_you",
        to_address=email,
        subject="Thank you for your order #1",
        status="sent",
        timeline=[{"status": "pending", "at": now.isoformat()}, {"status": "sent", "at": now.isoformat()}],
    )
    factory.session.add(message)
    factory.session.commit()
    return message
