"""Bind a Shopify body to the shop and topic its headers claim (issue 14.1).

Shopify signs the body with the app's one client secret, the same for every shop; the
``X-Shopify-Shop-Domain`` and ``X-Shopify-Topic`` headers are not signed. A body captured from one
shop verifies when re-sent with another shop's domain or another topic, so everything a body can
say about itself is checked here:

- Whose it is. Compliance bodies carry ``shop_domain`` and ``shop_id``; the ``app/uninstalled``
  body is the shop itself (``id``, ``myshopify_domain``, which may be null: PLATFORMS.md).
  Checkouts and orders carry their shop's numeric id in ``abandoned_checkout_url`` /
  ``order_status_url`` (``https://<host>/<shop id>/checkouts/...``; the host may be a custom
  domain, so only the id is compared). Each must match the header's shop and its stored id.
- What it is. Each topic's body has keys that no other topic's body has (``shop_domain`` only in
  compliance bodies, ``abandoned_checkout_url`` only in checkouts, ``order_number`` and friends
  only in orders, ...), and ``admin_graphql_api_id`` names its type. A body carrying another
  topic's marks, or missing what its own topic always carries, is refused. The marks come from the
  real samples in samples/shopify/; each is a key Shopify's payload for that resource always has.

What no body can say (a cart, a customer, a product, a consent update names no shop) is written
down with why a replay of it stays harmless in SECURITY.md, "Tenant binding".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.binding import Binding
from webhooks.errors import MisboundWebhookError, WrongShapeError
from webhooks.inbox import ShopRef
from webhooks.payload import JSONObject

# Top-level keys only one family of bodies carries.
MARKS: dict[str, frozenset[str]] = {
    "checkout": frozenset({"abandoned_checkout_url"}),
    "order": frozenset(
        {"order_number", "order_status_url", "checkout_token", "financial_status", "confirmation_number"}
    ),
    "compliance": frozenset({"shop_domain"}),
    "shop": frozenset({"myshopify_domain", "plan_name", "shop_owner"}),
    "product": frozenset({"variants", "product_type"}),
    "inventory": frozenset({"inventory_item_id"}),
    "customer": frozenset({"addresses", "default_address", "verified_email"}),
    "email_consent": frozenset({"email_address"}),
    "cart": frozenset(),
    "sms_consent": frozenset(),
    "bulk_operation": frozenset(),
}

# The resource type an ``admin_graphql_api_id`` (``gid://shopify/<Type>/<id>``) names, per family.
GID_TYPES = {
    "Order": "order",
    "Customer": "customer",
    "Product": "product",
    "InventoryLevel": "inventory",
    "BulkOperation": "bulk_operation",
}
_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/")
# ``https://<host>/<shop id>/checkouts/...`` and ``.../<shop id>/orders/...``
_SHOP_ID_IN_PATH = re.compile(r"^/(\d{1,20})/(?:checkouts|orders)/")


@dataclass(frozen=True)
class Shape:
    family: str
    required: tuple[str, ...] = ()  # keys the topic's body always has
    filled: tuple[str, ...] = ()  # keys that must also be non-null for this topic
    forbidden: tuple[str, ...] = ()  # keys of a sibling topic of the same family


_CUSTOMER_REQUEST = ("shop_id", "shop_domain", "customer")
SHAPES: dict[str, Shape] = {
    "checkouts/create": Shape("checkout", ("token",)),
    "checkouts/update": Shape("checkout", ("token",)),
    "carts/create": Shape("cart", ("token",)),
    "carts/update": Shape("cart", ("token",)),
    "orders/create": Shape("order", ("id",)),
    "orders/paid": Shape("order", ("id",)),
    "orders/fulfilled": Shape("order", ("id",)),
    # A cancelled order always has its time; an order that was not cancelled cannot pose as one.
    "orders/cancelled": Shape("order", ("id", "cancelled_at"), filled=("cancelled_at",)),
    "products/create": Shape("product", ("id",)),
    "products/update": Shape("product", ("id",)),
    "inventory_levels/update": Shape("inventory", ("inventory_item_id", "location_id")),
    "customers/create": Shape("customer", ("id",)),
    "customers/update": Shape("customer", ("id",)),
    "customers_email_marketing_consent/update": Shape("email_consent", ("email_marketing_consent",)),
    "customers_marketing_consent/update": Shape("sms_consent", ("sms_marketing_consent",)),
    "app/uninstalled": Shape("shop", ("id",)),
    "bulk_operations/finish": Shape("bulk_operation", ("admin_graphql_api_id", "status")),
    # A data request must not be read as an erasure, and neither as the shop's erasure.
    "customers/data_request": Shape(
        "compliance", (*_CUSTOMER_REQUEST, "orders_requested"), forbidden=("orders_to_redact",)
    ),
    "customers/redact": Shape(
        "compliance",
        (*_CUSTOMER_REQUEST, "orders_to_redact"),
        forbidden=("orders_requested", "data_request"),
    ),
    "shop/redact": Shape(
        "compliance",
        ("shop_id", "shop_domain"),
        filled=("shop_id", "shop_domain"),
        forbidden=("customer", "orders_to_redact", "orders_requested", "data_request"),
    ),
}


def bind(topic: str, body: JSONObject, shop: ShopRef) -> Binding:
    """Check that the body is ``topic``'s and names no other shop than ``shop``; say if it named it."""
    check_shape(topic, body)
    domain, shop_id = claimed_shop(topic, body)
    if domain is not None and domain != shop.domain:
        raise MisboundWebhookError(f"the body is about {domain}, not {shop.domain}")
    if shop_id is not None and shop.platform_shop_id is not None and shop_id != shop.platform_shop_id:
        raise MisboundWebhookError(f"the body is about shop id {shop_id}, not {shop.domain}'s")
    if domain is not None or (shop_id is not None and shop.platform_shop_id is not None):
        return Binding.NAMED
    return Binding.UNNAMED


def check_shape(topic: str, body: JSONObject) -> None:
    """Refuse a body that carries another topic's marks or lacks what its own topic always has."""
    shape = SHAPES.get(topic)
    if shape is None:
        raise WrongShapeError(f"no known shape for topic {topic!r}")
    missing = [key for key in shape.required if key not in body]
    empty = [key for key in shape.filled if body.get(key) in (None, "")]
    if missing or empty:
        raise WrongShapeError(f"not a {topic} body: it has no {', '.join(missing or empty)}")
    for family, marks in MARKS.items():
        foreign = sorted(marks.intersection(body)) if family != shape.family else []
        if foreign:
            raise WrongShapeError(f"not a {topic} body: it has {family} fields ({', '.join(foreign)})")
    sibling = [key for key in shape.forbidden if key in body]
    if sibling:
        raise WrongShapeError(f"not a {topic} body: it has {', '.join(sibling)}")
    gid = _GID.match(str(body.get("admin_graphql_api_id") or ""))
    if gid and GID_TYPES.get(gid.group(1), shape.family) != shape.family:
        raise WrongShapeError(f"not a {topic} body: it is a {gid.group(1)}")


def claimed_shop(topic: str, body: JSONObject) -> tuple[str | None, str | None]:
    """Return the myshopify domain and the numeric shop id the body names (each None when it names none)."""
    family = SHAPES[topic].family
    if family == "compliance":
        return _domain(body.get("shop_domain")), _number(body.get("shop_id"))
    if family == "shop":
        return _domain(body.get("myshopify_domain")), _number(body.get("id"))
    if family in ("checkout", "order"):
        url = body.get("abandoned_checkout_url" if family == "checkout" else "order_status_url")
        return None, _shop_id_in(url)
    return None, None


def _domain(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise WrongShapeError("the shop's domain in the body is not a string")
    return value.strip().lower()


def _number(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise WrongShapeError("the shop id in the body is not a number")
    return str(int(value))


def _shop_id_in(url: object) -> str | None:
    """Read the shop id from a checkout's recovery URL or an order's status URL, if it has one."""
    if not isinstance(url, str):
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    match = _SHOP_ID_IN_PATH.match(path)
    return str(int(match.group(1))) if match else None
