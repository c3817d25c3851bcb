"""The decision log and the consent ledger as JSON (and CSV) for the request's shop.

Authenticated like every admin request (``current_identity``), so only the shop the request
resolves to is ever read: another shop's contact or message answers 404, like one that does not
exist.

- ``GET /admin/api/contacts/<id>/decisions``: the latest 200 decisions about the contact's steps
- ``GET /admin/api/messages/<id>/decisions``: every decision about one message
- ``GET /admin/api/contacts/<id>/consent``: the contact's consent ledger as JSON
- ``GET /admin/api/contacts/<id>/consent.csv``: the same as CSV
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify
from sqlalchemy import select

from app.consent.export import ledger, ledger_csv, ledger_json
from app.db import db
from app.db.models import Contact, Message
from app.web.admin.auth import current_identity
from app.web.admin.decision_log import contact_decisions, decision_json, message_decisions

bp = Blueprint("audit_api", __name__, url_prefix="/admin/api")

# Ids are 32-bit integer columns: a larger one in a URL is a 404, not a database error.


@bp.get("/contacts/<id:contact_id>/decisions")
def contact_decision_log(contact_id: int) -> Response:
    """Return what was decided about the contact's flow steps, newest first."""
    contact = _contact(contact_id)
    decisions = contact_decisions(db.session(), contact.id)
    return jsonify(contact_id=contact.id, decisions=[decision_json(d) for d in decisions])


@bp.get("/messages/<id:message_id>/decisions")
def message_decision_log(message_id: int) -> Response:
    """Return what was decided about one message, in order."""
    shop = current_identity().shop
    message = db.session.scalars(
        select(Message).where(Message.id == message_id, Message.shop_id == shop.id)
    ).first()
    if message is None:
        abort(404)
    decisions = message_decisions(db.session(), message.id)
    return jsonify(message_id=message.id, decisions=[decision_json(d) for d in decisions])


@bp.get("/contacts/<id:contact_id>/consent")
def consent_ledger(contact_id: int) -> Response:
    """Return the contact's consent ledger as JSON."""
    contact = _contact(contact_id)
    return jsonify(ledger_json(contact, ledger(db.session(), contact)))


@bp.get("/contacts/<id:contact_id>/consent.csv")
def consent_ledger_csv(contact_id: int) -> Response:
    """Return the contact's consent ledger as CSV."""
    contact = _contact(contact_id)
    return Response(ledger_csv(ledger(db.session(), contact)), mimetype="text/csv")


def _contact(contact_id: int) -> Contact:
    shop = current_identity().shop
    contact = db.session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.shop_id == shop.id)
    ).first()
    if contact is None:
        abort(404)
    return contact
