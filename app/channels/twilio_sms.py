"""SMS through Twilio's Messages API, with the official ``twilio`` library."""

from __future__ import annotations

from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from app.messaging.channel import OutgoingMessage, SentQuery
from app.messaging.send_errors import (
    LookupUnavailableError,
    LookupUnsupportedError,
    PermanentSendError,
    TransientSendError,
)

REQUEST_TIMEOUT_SECONDS = 10
# How many of the recipient's latest messages a lookup reads; a number gets a few texts a day.
LOOKUP_PAGE = 20
# Twilio's and our clocks disagree a little; a message created this long before the attempt counts.
CLOCK_SLACK = timedelta(minutes=2)


class TwilioChannel:
    provider = "twilio"
    # Twilio creates the Message resource while answering the request, so its log is current at once;
    # this only covers a request still being processed when our side gave up on it.
    settle = timedelta(minutes=2)

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
        )
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid

    def send(self, message: OutgoingMessage) -> str:
        options = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": self._from_number}
        )
        if message.status_callback:
            options["status_callback"] = message.status_callback
        try:
            created = self._client.messages.create(to=message.to, body=message.text, **options)
        except TwilioRestException as exc:
            detail = f"Twilio answered {exc.status} (code {exc.code}): {exc.msg}"
            if exc.status == 429 or exc.status >= 500:
                raise TransientSendError(detail) from exc
            raise PermanentSendError(detail) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise TransientSendError(f"Twilio unreachable: {exc}", unanswered=_may_have_arrived(exc)) from exc
        return str(created.sid)

    def find_sent(self, query: SentQuery) -> str | None:
        """Find our message among the recipient's latest in the account's message log.

        Twilio keeps no reference of ours on a message, so it is recognised by recipient, time and
        text: the body we sent, or our tracked link in it (each link names its message), which
        survives a messaging service's rewriting of other characters.
        """
        try:
            recent = self._client.messages.list(to=query.to, limit=LOOKUP_PAGE)
        except TwilioRestException as exc:
            if exc.status in (401, 403, 404):
                raise LookupUnsupportedError(f"Twilio's message log answered {exc.status}") from exc
            raise LookupUnavailableError(f"Twilio's message log answered {exc.status}") from exc
        except (requests.RequestException, TwilioException) as exc:
            raise LookupUnavailableError(f"Twilio unreachable: {exc}") from exc
        earliest = query.attempted_at - CLOCK_SLACK
        for sent in recent:
            created = sent.date_created
            if created is not None and created < earliest:
                continue
            if _same_text(str(sent.body or ""), query.text):
                return str(sent.sid)
        return None


def _same_text(sent: str, ours: str) -> bool:
    """Match a logged body to ours: equal, or carrying the same tracked link."""
    if sent.strip() == ours.strip():
        return True
    links = [word for word in ours.split() if "/c/" in word and word.startswith("http")]
    return bool(links) and all(link in sent for link in links)


def _may_have_arrived(exc: BaseException) -> bool:
    """Tell a request that never left (no connection made) from one that lost its answer."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        inner = exc.args[0] if exc.args else None
        return not isinstance(getattr(inner, "reason", inner), NewConnectionError)
    return True
