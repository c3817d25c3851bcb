"""POST /webhooks/sendgrid: verify SendGrid's signed event post, then apply its events at once.

SendGrid batches events (a post every few seconds at most) and retries a post that gets no 2xx for
24 hours, so events are applied in the request: one query for the messages, one INSERT for the new
events, then the status changes, in one transaction. 200 once applied (duplicates and events for
unknown messages included: a retry cannot change them), 401 for a bad signature, 400 for a body that
is not an array of events, 503 when the database is down (SendGrid retries).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from app.db import db
from app.jobs.services import current_services
from app.messaging.feedback import record_feedback
from app.web.errors import status_for
from app.web.extensions import csrf
from webhooks.errors import MalformedWebhookError, WebhookError
from webhooks.payload import decode_json
from webhooks.sendgrid.events import parse_events
from webhooks.sendgrid.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, SendGridEventVerifier

log = logging.getLogger(__name__)
bp = Blueprint("sendgrid_webhooks", __name__)


@lru_cache(maxsize=4)
def _verifier(public_key: str) -> SendGridEventVerifier:
    """Parse the configured key once per process."""
    return SendGridEventVerifier(public_key)


@bp.post("/webhooks/sendgrid")
@csrf.exempt
def receive() -> tuple[Response, int]:
    """Accept one signed post of SendGrid events."""
    services = current_services()
    raw = request.get_data(cache=False)
    try:
        _verifier(services.config.sendgrid_webhook_public_key).verify(
            raw, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
        )
        parsed = parse_events(_json(raw), services.clock.now())
        outcome = record_feedback(db.session(), parsed.feedback)
        db.session.commit()
    except WebhookError as exc:
        log.warning("sendgrid event post rejected (%s): %s", status_for(exc), exc)
        return jsonify(error=str(exc)), status_for(exc)
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("sendgrid events not applied (503, SendGrid retries): %s", exc)
        return jsonify(error="temporarily unavailable"), 503
    return jsonify(
        status="ok",
        recorded=outcome.recorded,
        duplicates=outcome.duplicates,
        unknown=outcome.unknown,
        ignored=parsed.ignored,
    ), 200


def _json(raw: bytes) -> object:
    try:
        return decode_json(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedWebhookError("body is not valid JSON") from None
