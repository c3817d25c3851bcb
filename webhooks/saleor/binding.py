"""Bind a Saleor body to the installation its headers name (issue 13.6).

Saleor signs every app's deliveries on an instance with one key, over the body only, so a delivery
made for another app's webhook on the same instance verifies against ours. The receiver holds the
headers to the installation (``Saleor-Domain``, and an event it subscribed to); here the body is
held to the event: it must carry the event's object, and ``APP_DELETED`` must name our app's id,
which registration stored (``{ app { id } }``). What stays possible is in SECURITY.md.
"""

from __future__ import annotations

from app.core.events import EventKind
from webhooks.binding import Binding
from webhooks.errors import MisboundWebhookError, WrongShapeError
from webhooks.inbox import ShopRef
from webhooks.payload import JSONObject
from webhooks.saleor.events import EVENTS

# The Shop.settings key the installation is remembered under (app/platforms/saleor/installation.py).
SETTINGS_KEY = "saleor"


def bind(topic: str, body: JSONObject, shop: ShopRef) -> Binding:
    """Check the body is ``topic``'s and, for ``APP_DELETED``, about our app; say if it named us."""
    event = EVENTS.get(topic)
    if event is None:
        raise WrongShapeError(f"unknown event {topic!r}")
    holder = _event_data(body, event.field)
    if event.subject not in holder:
        raise WrongShapeError(f"not a {topic} body: it has no {event.subject}")
    if event.kind is not EventKind.APP_UNINSTALLED:
        return Binding.UNNAMED
    app = holder.get(event.subject)
    named = app.get("id") if isinstance(app, dict) else None
    ours = _app_id(shop)
    if ours is None:
        return Binding.UNNAMED
    if named != ours:
        raise MisboundWebhookError(f"the body is about app {str(named)[:64]!r}, not this installation's")
    return Binding.NAMED


def _event_data(body: JSONObject, field: str) -> JSONObject:
    """Return the event's fields in either payload shape (filterable subscriptions wrap them in ``data``)."""
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get(field), dict):
        wrapped: JSONObject = data[field]
        return wrapped
    return body


def _app_id(shop: ShopRef) -> str | None:
    remembered = shop.settings.get(SETTINGS_KEY)
    app_id = remembered.get("app_id") if isinstance(remembered, dict) else None
    return app_id if isinstance(app_id, str) and app_id else None
