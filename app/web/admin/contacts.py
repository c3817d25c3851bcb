"""Contacts: each shopper's consent per channel with its source and time, suppressions, GDPR tools."""

from __future__ import annotations

import json
import logging

from flask import Response, abort, request
from flask_babel import gettext
from sqlalchemy import or_, select
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consent.export import ledger, ledger_csv, ledger_json
from app.core.facts import ContactFacts, PrivacyRequest
from app.db import db
from app.db.models import Contact, Enrollment, Message, Suppression
from app.ingest.privacy import export_customer, redact_customer
from app.jobs.services import current_services
from app.messaging.unsubscribe import unsubscribe
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.confirmation import Question, ask, confirmed
from app.web.admin.decision_log import contact_decisions
from app.web.admin.formatting import CHANNEL_WORDS
from app.web.admin.page import admin_url, finish, render_page
from app.web.admin.search import like_pattern
from app.web.origin import request_origin
from app.web.query_params import page_number

log = logging.getLogger(__name__)

PAGE_SIZE = 50
CHANNELS = ("email", "sms")
ERASE_CONFIRMATION = "erase"


@bp.get("/contacts")
def contacts() -> tuple[str, int]:
    """List the shop's contacts, newest first, optionally matching a search."""
    shop = current_shop()
    query = request.args.get("q", "").strip()[:200]
    statement = select(Contact).where(Contact.shop_id == shop.id)
    if query:
        pattern = like_pattern(query)
        statement = statement.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Contact.email, Contact.phone, Contact.first_name, Contact.last_name)
                )
            )
        )
    page = page_number()
    rows = db.session.scalars(
        statement.order_by(Contact.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    suppressed = _suppressed_addresses(shop.id, [a for c in rows for a in (c.email, c.phone) if a])
    return render_page(
        "admin/contacts.html",
        contacts=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        query=query,
        suppressed=suppressed,
    )


@bp.get("/contacts/<id:contact_id>")
def contact_detail(contact_id: int) -> tuple[str, int]:
    """Show one contact's consent, suppressions, enrollments and messages."""
    return _render_contact(contact_or_404(contact_id))


def _render_contact(contact: Contact, error: str | None = None, status: int = 200) -> tuple[str, int]:
    shop = current_shop()
    addresses = [a for a in (contact.email, contact.phone) if a]
    suppressions = db.session.scalars(
        select(Suppression).where(Suppression.shop_id == shop.id, Suppression.address.in_(addresses))
    ).all()
    return render_page(
        "admin/contact.html",
        status=status,
        error=error,
        contact=contact,
        channels=CHANNELS,
        suppressions=suppressions,
        enrollments=db.session.scalars(
            select(Enrollment).where(Enrollment.contact_id == contact.id).order_by(Enrollment.id.desc())
        ).all(),
        messages=db.session.scalars(
            select(Message).where(Message.contact_id == contact.id).order_by(Message.id.desc()).limit(50)
        ).all(),
        erase_confirmation=ERASE_CONFIRMATION,
        decisions=contact_decisions(db.session(), contact.id),
        consent_changes=ledger(db.session(), contact),
    )


@bp.post("/contacts/<id:contact_id>/unsubscribe")
def unsubscribe_contact(contact_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Withdraw the contact's consent on one channel and suppress the address, as their link would."""
    contact = contact_or_404(contact_id)
    channel = request.form.get("channel", "")
    if channel not in CHANNELS:
        abort(400)
    label = gettext(CHANNEL_WORDS[channel])
    if not confirmed():
        address = contact.email if channel == "email" else contact.phone
        question = Question(
            title=gettext(
                "Unsubscribe %(who)s from %(channel)s?", who=address or gettext("this shopper"), channel=label
            ),
            consequence=gettext(
                "No more marketing %(channel)s goes to this address, and it is suppressed for good, "
                "as if the shopper had used their own unsubscribe link. "
                "Only the shopper can subscribe again.",
                channel=label,
            ),
            action=gettext("Unsubscribe"),
            destructive=True,
        )
        return ask(question, admin_url("admin.contact_detail", contact_id=contact.id))
    unsubscribe(
        contact.shop_id, contact.id, channel, "admin", current_services().clock.now(), origin=request_origin()
    )
    db.session.commit()
    return finish(
        "admin.contact_detail",
        gettext("Unsubscribed from %(channel)s.", channel=label),
        contact_id=contact.id,
    )


@bp.post("/contacts/<id:contact_id>/export")
def export_contact(contact_id: int) -> Response:
    """Download everything Storeflow holds on this contact as JSON (a GDPR access request)."""
    shop = current_shop()
    contact = contact_or_404(contact_id)
    now = current_services().clock.now()
    export = export_customer(db.session(), shop, _privacy_request(contact, f"admin-{now:%Y%m%dT%H%M%S}"))
    db.session.commit()
    body = json.dumps({"exported_at": now.isoformat(), **export.payload}, indent=2, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="storeflow-contact-{contact.id}.json"'},
    )


@bp.get("/contacts/<id:contact_id>/consent.json")
def download_consent_json(contact_id: int) -> Response:
    """Download the contact's consent ledger as JSON (proof of consent, per change)."""
    contact = contact_or_404(contact_id)
    body = json.dumps(ledger_json(contact, ledger(db.session(), contact)), indent=2)
    return _attachment(body, "application/json", f"storeflow-consent-{contact.id}.json")


@bp.get("/contacts/<id:contact_id>/consent.csv")
def download_consent_csv(contact_id: int) -> Response:
    """Download the contact's consent ledger as CSV."""
    contact = contact_or_404(contact_id)
    return _attachment(
        ledger_csv(ledger(db.session(), contact)), "text/csv", f"storeflow-consent-{contact.id}.csv"
    )


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.post("/contacts/<id:contact_id>/erase")
def erase_contact(contact_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Erase the contact and what was copied about them (a GDPR erasure request); keep suppressions."""
    shop = current_shop()
    contact = contact_or_404(contact_id)
    if request.form.get("confirm", "").strip().lower() != ERASE_CONFIRMATION:
        return _render_contact(
            contact,
            error=gettext("Nothing was erased: type “%(word)s” to confirm.", word=ERASE_CONFIRMATION),
            status=400,
        )
    redact_customer(db.session(), shop, _privacy_request(contact, f"admin-erase-{contact.id}"))
    db.session.commit()
    log.info("shop %s erased contact %s from the admin", shop.id, contact_id)
    return finish(
        "admin.contacts", gettext("The contact and their data were erased. Suppressions stay in place.")
    )


def contact_or_404(contact_id: int) -> Contact:
    """Return this shop's contact with the id, or answer 404 (another shop's contact included)."""
    contact = db.session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.shop_id == current_shop().id)
    ).first()
    if contact is None:
        abort(404)
    return contact


def _privacy_request(contact: Contact, reference: str) -> PrivacyRequest:
    return PrivacyRequest(
        reference=reference,
        customer=ContactFacts(
            platform_customer_id=contact.platform_customer_id, email=contact.email, phone=contact.phone
        ),
    )


def _suppressed_addresses(shop_id: int, addresses: list[str]) -> set[str]:
    if not addresses:
        return set()
    return set(
        db.session.scalars(
            select(Suppression.address).where(
                Suppression.shop_id == shop_id, Suppression.address.in_(addresses)
            )
        )
    )
