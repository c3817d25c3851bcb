"""Email through SendGrid's v3 Mail Send, with the official ``sendgrid`` library."""

from __future__ import annotations

import http.client
import urllib.error

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

from app.channels.base import OutgoingMessage
from app.channels.errors import PermanentSendError, TransientSendError

REQUEST_TIMEOUT_SECONDS = 10


class SendGridChannel:
    provider = "sendgrid"

    def __init__(self, api_key: str, host: str = "https://api.sendgrid.com") -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = REQUEST_TIMEOUT_SECONDS

    def send(self, message: OutgoingMessage) -> str:
        mail = Mail(
            from_email=Email(message.sender_address, message.sender_name or None),
            to_emails=To(message.to),
            subject=message.subject or "",
            plain_text_content=message.text,
            html_content=message.html,
        )
        for name, value in message.headers.items():
            mail.header = Header(name, value)
        mail.custom_arg = CustomArg("storeflow_message_id", message.reference)
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
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            # HTTPException: a malformed or cut-off answer (BadStatusLine, IncompleteRead); requests
            # wraps the same failures in ConnectionError, so Twilio already treats them as transient.
            raise TransientSendError(f"SendGrid unreachable: {exc}") from exc
        return str(response.headers.get("X-Message-Id") or "")


def _body(exc: HTTPError) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body)[:500]
