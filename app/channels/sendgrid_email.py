"""Email through SendGrid's v3 Mail Send, with the official ``sendgrid`` library."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
from datetime import timedelta

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Category,
    ClickTracking,
    CustomArg,
    Email,
    Header,
    Mail,
    To,
    TrackingSettings,
)

from app.channels.headers import single_line
from app.messaging.channel import OutgoingMessage, SentQuery
from app.messaging.send_errors import (
    LookupUnavailableError,
    LookupUnsupportedError,
    PermanentSendError,
    TransientSendError,
)

REQUEST_TIMEOUT_SECONDS = 10
REFERENCE_ARG = "storeflow_message_id"
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


class SendGridChannel:
    provider = "sendgrid"
    # The Email Activity feed shows a message once SendGrid has processed it, usually within
    # seconds; "not found" is trusted only this long after the attempt.
    settle = timedelta(minutes=10)

    def __init__(self, api_key: str, host: str = "https://api.sendgrid.com") -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = REQUEST_TIMEOUT_SECONDS

    def send(self, message: OutgoingMessage) -> str:
        mail = Mail(
            from_email=Email(message.sender_address, single_line(message.sender_name) or None),
            to_emails=To(message.to),
            subject=single_line(message.subject or ""),
            plain_text_content=message.text,
            html_content=message.html,
        )
        for name, value in message.headers.items():
            mail.header = Header(name, single_line(value))
        mail.custom_arg = CustomArg(REFERENCE_ARG, message.reference)
        if message.category:
            mail.category = Category(message.category)
        if message.provider_click_tracking is not None:
            enabled = message.provider_click_tracking
            mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(enabled, enabled))
        try:
            response = self._client.send(mail)
        except HTTPError as exc:
            status = int(exc.status_code)
            detail = f"SendGrid answered {status}: {_body(exc)}"
            if status == 429 or status >= 500:
                raise TransientSendError(detail) from exc
            raise PermanentSendError(detail) from exc
        except NETWORK_ERRORS as exc:
            # HTTPException: a malformed or cut-off answer (BadStatusLine, IncompleteRead); requests
            # wraps the same failures in ConnectionError, so Twilio already treats them as transient.
            raise TransientSendError(
                f"SendGrid unreachable: {exc}", unanswered=_may_have_arrived(exc)
            ) from exc
        return str(response.headers.get("X-Message-Id") or "")

    def find_sent(self, query: SentQuery) -> str | None:
        """Search the Email Activity feed for our reference (needs SendGrid's Email Activity add-on)."""
        search = f"unique_args['{REFERENCE_ARG}']=\"{query.reference}\""
        try:
            response = self._client.client.messages.get(query_params={"query": search, "limit": 1})
        except HTTPError as exc:
            status = int(exc.status_code)
            if status in (400, 401, 403, 404):
                raise LookupUnsupportedError(f"SendGrid's Email Activity API answered {status}") from exc
            raise LookupUnavailableError(f"SendGrid's Email Activity API answered {status}") from exc
        except NETWORK_ERRORS as exc:
            raise LookupUnavailableError(f"SendGrid unreachable: {exc}") from exc
        try:
            found = json.loads(response.body or b"{}").get("messages") or []
        except (ValueError, AttributeError):
            raise LookupUnavailableError("SendGrid's Email Activity API answered something else") from None
        if not found or not isinstance(found[0], dict):
            return None
        return str(found[0].get("msg_id") or "accepted")


def _may_have_arrived(exc: BaseException) -> bool:
    """Tell a request that surely never left (refused, unresolvable) from one that lost its answer."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return not isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _body(exc: HTTPError) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body)[:500]
