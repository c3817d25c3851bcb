"""Privacy requests (Shopify's mandatory compliance webhooks): export, erase a customer, erase a shop.

Erasing a customer removes their contact, enrollments, messages, decision log and consent ledger
(by cascade), the checkouts, carts and orders we copied, every stored webhook body that named them,
and the storefront visitors linked to them with everything those visitors were seen doing.
Suppressions stay: an opt-out must outlive the profile, or a re-imported address would be mailed
again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from app.consent.export import change_json
from app.core.events import subject_key
from app.core.facts import ContactFacts, PrivacyRequest
from app.db.models import (
    Cart,
    Checkout,
    ConsentChange,
    Contact,
    DataExport,
    Enrollment,
    FormSubmission,
    Message,
    Order,
    Shop,
    SignupForm,
    StorefrontEvent,
    Visitor,
    WebhookEvent,
)
from app.ingest.contacts import normalize_phone
from app.push.privacy import erase_subscriptions, exported_subscriptions

log = logging.getLogger(__name__)


def _matching_contacts(session: Session, shop_id: int, who: ContactFacts | None) -> list[Contact]:
    if who is None:
        return []
    clauses = []
    if who.platform_customer_id:
        clauses.append(Contact.platform_customer_id == who.platform_customer_id)
    if who.email:
        clauses.append(Contact.email == who.email.lower())
    phone = normalize_phone(who.phone, None)
    if phone:
        clauses.append(Contact.phone == phone)
    if not clauses:
        return []
    return list(session.scalars(select(Contact).where(Contact.shop_id == shop_id, or_(*clauses))))


def export_customer(session: Session, shop: Shop, request: PrivacyRequest) -> DataExport:
    """Gather what we hold on the customer into a data export the merchant can hand over."""
    contacts = _matching_contacts(session, shop.id, request.customer)
    ids = [c.id for c in contacts]
    orders = session.scalars(
        select(Order).where(
            Order.shop_id == shop.id,
            or_(Order.contact_id.in_(ids), Order.platform_id.in_(request.order_ids)),
        )
    ).all()
    payload: dict[str, Any] = {
        "contacts": [_contact_dict(c) for c in contacts],
        "consent_changes": [
            change_json(c)
            for c in session.scalars(
                select(ConsentChange).where(ConsentChange.contact_id.in_(ids)).order_by(ConsentChange.id)
            )
        ],
        "checkouts": [
            {
                "token": c.token,
                "email": c.email,
                "line_items": c.line_items,
                "created_at": _iso(c.source_created_at),
            }
            for c in session.scalars(select(Checkout).where(Checkout.contact_id.in_(ids)))
        ],
        "orders": [
            {"id": o.platform_id, "name": o.name, "email": o.email, "total_price": str(o.total_price or "")}
            for o in orders
        ],
        "messages": [
            {
                "flow": m.flow_key,
                "channel": m.channel,
                "to": m.to_address,
                "subject": m.subject,
                "status": m.status,
                "sent_at": _iso(m.sent_at),
            }
            for m in session.scalars(select(Message).where(Message.contact_id.in_(ids)))
        ],
        "form_submissions": [
            {"form": name, "sms_opt_in": submission.sms_opt_in, "submitted_at": _iso(submission.submitted_at)}
            for submission, name in session.execute(
                select(FormSubmission, SignupForm.name)
                .join(SignupForm, SignupForm.id == FormSubmission.form_id)
                .where(FormSubmission.contact_id.in_(ids))
                .order_by(FormSubmission.id)
            ).all()
        ],
        "push_subscriptions": exported_subscriptions(session, shop.id, ids, _visitor_keys(shop.id, ids)),
        "storefront_events": [
            {
                "type": e.kind,
                "product_id": e.product_id,
                "collection_id": e.collection_id,
                "search": e.search_query,
                "at": _iso(e.occurred_at),
            }
            for e in session.scalars(
                select(StorefrontEvent)
                .where(
                    StorefrontEvent.shop_id == shop.id,
                    StorefrontEvent.visitor_key.in_(_visitor_keys(shop.id, ids)),
                )
                .order_by(StorefrontEvent.id)
            )
        ],
    }
    export = DataExport(
        shop_id=shop.id,
        reference=request.reference or "",
        customer_email=request.customer.email if request.customer else None,
        payload=payload,
    )
    session.add(export)
    log.info(
        "data export %s prepared for shop %s (%d contact(s))", request.reference, shop.domain, len(contacts)
    )
    return export


def redact_customer(session: Session, shop: Shop, request: PrivacyRequest) -> int:
    """Erase one customer's data; return how many contacts were erased."""
    contacts = _matching_contacts(session, shop.id, request.customer)
    ids = [c.id for c in contacts]
    checkouts = session.scalars(select(Checkout).where(Checkout.contact_id.in_(ids))).all()
    carts = session.scalars(select(Cart).where(Cart.contact_id.in_(ids))).all()
    orders = session.scalars(
        select(Order).where(
            Order.shop_id == shop.id,
            or_(Order.contact_id.in_(ids), Order.platform_id.in_(request.order_ids)),
        )
    ).all()
    keys = (
        [subject_key("checkout", c.token) for c in checkouts]
        + [subject_key("cart", c.token) for c in carts]
        + [subject_key("order", o.platform_id) for o in orders]
        + [subject_key("order", oid) for oid in request.order_ids]
    )
    session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.shop_id == shop.id,
            or_(WebhookEvent.contact_id.in_(ids), WebhookEvent.subject_key.in_(keys)),
        )
    )
    session.execute(delete(Enrollment).where(Enrollment.shop_id == shop.id, Enrollment.subject_key.in_(keys)))
    visitor_keys = _visitor_keys(shop.id, ids)
    erase_subscriptions(session, shop.id, ids, visitor_keys)
    session.execute(
        delete(StorefrontEvent).where(
            StorefrontEvent.shop_id == shop.id, StorefrontEvent.visitor_key.in_(visitor_keys)
        )
    )
    session.execute(delete(Visitor).where(Visitor.shop_id == shop.id, Visitor.contact_id.in_(ids)))
    for row in [*checkouts, *carts, *orders, *contacts]:
        session.delete(row)
    log.info("erased %d contact(s) and %d order(s) of shop %s", len(contacts), len(orders), shop.domain)
    return len(contacts)


def redact_shop(session: Session, shop: Shop) -> None:
    """Erase everything we hold for the shop (its rows cascade from the shop row)."""
    log.info("erasing all data of shop %s", shop.domain)
    session.execute(delete(WebhookEvent).where(WebhookEvent.shop_id == shop.id))
    session.delete(shop)


def _visitor_keys(shop_id: int, contact_ids: list[int]) -> Select[str]:
    """Select the storefront visitor ids linked to these contacts."""
    return select(Visitor.visitor_key).where(Visitor.shop_id == shop_id, Visitor.contact_id.in_(contact_ids))


def _contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "email": contact.email,
        "phone": contact.phone,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email_consent": contact.email_consent,
        "email_consent_source": contact.email_consent_source,
        "email_consent_at": _iso(contact.email_consent_at),
        "sms_consent": contact.sms_consent,
        "sms_consent_source": contact.sms_consent_source,
        "sms_consent_at": _iso(contact.sms_consent_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
