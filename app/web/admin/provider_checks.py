"""Check provider credentials with one real call before they are saved.

SendGrid: ``GET /v3/scopes`` answers with the key's permissions, and the key must hold
``mail.send``. Twilio: fetching the account proves the SID and auth token belong together, and the
account must be active. Each failure becomes a sentence a merchant can act on.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error

import requests
from flask_babel import gettext
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.core.errors import StoreflowError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SENDGRID_SEND_SCOPE = "mail.send"


class ProviderCheckError(StoreflowError):
    """The provider refused the credentials, or could not be asked; the message says which."""


def check_sendgrid_key(api_key: str, host: str) -> None:
    """Ask SendGrid which scopes the key has; raise ProviderCheckError unless it may send mail."""
    client = SendGridAPIClient(api_key=api_key, host=host)
    client.client.timeout = TIMEOUT_SECONDS
    try:
        response = client.client.scopes.get()
    except HTTPError as exc:
        status = int(exc.status_code)
        log.info("SendGrid refused a key check with %s", status)
        if status in (401, 403):
            raise ProviderCheckError(
                gettext("SendGrid did not accept this API key. Check that you copied all of it.")
            ) from exc
        raise ProviderCheckError(
            gettext("SendGrid answered %(status)s; try again in a moment.", status=status)
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise ProviderCheckError(
            gettext("Could not reach SendGrid to check the key; try again in a moment.")
        ) from exc
    try:
        scopes = json.loads(response.body or b"{}").get("scopes") or []
    except (ValueError, AttributeError):
        scopes = []
    if SENDGRID_SEND_SCOPE not in scopes:
        raise ProviderCheckError(
            gettext(
                "This SendGrid key cannot send email: give it the “Mail Send” permission, "
                "or create a new one."
            )
        )


def check_twilio_account(account_sid: str, auth_token: str) -> str:
    """Fetch the Twilio account with these credentials and return its name; raise unless it is active."""
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS))
    try:
        account = client.api.v2010.accounts(account_sid).fetch()
    except TwilioRestException as exc:
        log.info("Twilio refused an account check with %s", exc.status)
        if exc.status in (401, 403, 404):
            raise ProviderCheckError(
                gettext("Twilio did not accept this Account SID and auth token together.")
            ) from exc
        raise ProviderCheckError(
            gettext("Twilio answered %(status)s; try again in a moment.", status=exc.status)
        ) from exc
    except (requests.RequestException, TwilioException) as exc:
        raise ProviderCheckError(
            gettext("Could not reach Twilio to check the account; try again in a moment.")
        ) from exc
    if account.status != "active":
        raise ProviderCheckError(
            gettext("This Twilio account is %(status)s, so it cannot send SMS.", status=account.status)
        )
    return str(account.friendly_name or account_sid)
