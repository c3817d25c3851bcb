"""Web push through each browser's push service, with ``pywebpush``: encrypted payload, VAPID token.

The payload is encrypted for the subscription's keys (RFC 8291, ``aes128gcm``) and the request is
signed with the deployment's VAPID key (RFC 8292). The push service's answer decides what happens:
201 accepted; 404 or 410 the subscription is gone for good (it is removed); 429 and 5xx retried
like any provider's; other 4xx refused.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from pywebpush import WebPushException, webpush
from urllib3.exceptions import NewConnectionError

from app.core.vapid import load_private_key
from app.messaging.channel import OutgoingMessage
from app.messaging.send_errors import ExpiredSubscriptionError, PermanentSendError, TransientSendError

REQUEST_TIMEOUT_SECONDS = 10
# How long a push service keeps a message for a browser that is offline: a day, then it is stale.
TIME_TO_LIVE_SECONDS = 24 * 3600
GONE = frozenset({404, 410})


class WebPushChannel:
    provider = "webpush"

    def __init__(self, private_key: str, subject: str, session: requests.Session | None = None) -> None:
        self._signer = load_private_key(private_key)
        self._subject = subject
        self._session = session or requests.Session()

    def send(self, message: OutgoingMessage) -> str:
        if message.push_keys is None:
            raise PermanentSendError("a push message needs the subscription's keys")
        p256dh, auth = message.push_keys
        subscription: dict[str, Any] = {"endpoint": message.to, "keys": {"p256dh": p256dh, "auth": auth}}
        try:
            response = webpush(
                subscription,
                data=json.dumps(_payload(message), separators=(",", ":")),
                vapid_private_key=self._signer,
                vapid_claims={"sub": self._subject},  # webpush adds aud and exp to the dict it gets
                ttl=TIME_TO_LIVE_SECONDS,
                timeout=REQUEST_TIMEOUT_SECONDS,
                requests_session=self._session,
            )
        except WebPushException as exc:
            raise _refusal(exc, message.to) from exc
        except requests.RequestException as exc:
            raise TransientSendError(
                f"push service unreachable: {exc}", unanswered=_may_have_arrived(exc)
            ) from exc
        except (ValueError, TypeError) as exc:  # keys the encryption cannot use
            raise PermanentSendError(f"push subscription keys unusable: {exc}") from exc
        if not isinstance(response, requests.Response):
            raise PermanentSendError("push service gave no response")
        return str(response.headers.get("Location") or "")


def _payload(message: OutgoingMessage) -> dict[str, str]:
    """What the service worker shows: a title, a body, and the page a tap opens."""
    payload = {"title": message.subject or "", "body": message.text, "ref": message.reference}
    if message.url:
        payload["url"] = message.url
    return payload


def _refusal(exc: WebPushException, endpoint: str) -> Exception:
    """Turn the push service's answer into expired, transient or permanent."""
    status = exc.response.status_code if exc.response is not None else None
    detail = f"push service answered {status}" if status else f"push failed: {exc.message}"
    if status in GONE:
        return ExpiredSubscriptionError(f"{detail}: the browser subscription has expired", endpoint)
    if status is None or status == 429 or status >= 500:
        return TransientSendError(detail)
    return PermanentSendError(detail)


def _may_have_arrived(exc: requests.RequestException) -> bool:
    """Tell a request that never left (no connection made) from one that lost its answer."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        inner = exc.args[0] if exc.args else None
        return not isinstance(getattr(inner, "reason", inner), NewConnectionError)
    return True
