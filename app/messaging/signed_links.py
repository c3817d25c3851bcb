"""The links Storeflow signs into messages: confirm a subscription, unsubscribe from a channel.

Each carries ids signed with SECRET_KEY and does not expire: an email read a year later must still
work. Making and reading them needs no web framework; the pages behind them live in app/web/messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from app.core.errors import StoreflowError

_CONFIRM_SALT = "storeflow-confirm-subscription"
_UNSUBSCRIBE_SALT = "storeflow-unsubscribe"


class BadLinkError(StoreflowError):
    """The link was not signed with this instance's key, or says nothing we can read."""

    reason = "bad_link"


@dataclass(frozen=True)
class Subscription:
    """One contact's subscription to one channel, and the message whose link was used."""

    shop_id: int
    contact_id: int
    channel: str
    message_id: int | None = None


def confirm_url(app_url: str, secret_key: str, shop_id: int, contact_id: int) -> str:
    """Return the link that confirms this contact's email subscription."""
    token = URLSafeSerializer(secret_key, salt=_CONFIRM_SALT).dumps({"s": shop_id, "c": contact_id})
    return f"{app_url}/confirm/{token}"


def read_confirm_token(secret_key: str, token: str) -> tuple[int, int]:
    """Return (shop id, contact id) from a confirmation link's token."""
    try:
        data = URLSafeSerializer(secret_key, salt=_CONFIRM_SALT).loads(token)
        return int(data["s"]), int(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadLinkError("confirmation link") from error


def unsubscribe_token(
    secret_key: str, shop_id: int, contact_id: int, channel: str, message_id: int | None = None
) -> str:
    """Sign the identity of one contact's subscription to one channel (and the message it came in)."""
    data: dict[str, object] = {"s": shop_id, "c": contact_id, "ch": channel}
    if message_id is not None:
        data["m"] = message_id
    return URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(data)


def unsubscribe_url(
    app_url: str, secret_key: str, shop_id: int, contact_id: int, channel: str, message_id: int | None = None
) -> str:
    """Return the absolute unsubscribe link for a message."""
    return f"{app_url}/u/{unsubscribe_token(secret_key, shop_id, contact_id, channel, message_id)}"


def read_unsubscribe_token(secret_key: str, token: str) -> Subscription:
    """Return the subscription an unsubscribe link's token names."""
    try:
        data = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
        message_id = data.get("m")
        return Subscription(
            int(data["s"]),
            int(data["c"]),
            str(data["ch"]),
            int(message_id) if message_id is not None else None,
        )
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadLinkError("unsubscribe link") from error
