"""SMS through Twilio's Messages API, with the official ``twilio`` library."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.channels.base import OutgoingMessage
from app.channels.errors import PermanentSendError, TransientSendError

REQUEST_TIMEOUT_SECONDS = 10


class TwilioChannel:
    provider = "twilio"

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
            raise TransientSendError(f"Twilio unreachable: {exc}") from exc
        return str(created.sid)
