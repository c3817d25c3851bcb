"""Map Shopify webhook payloads (API 2026-04 shapes, older ones tolerated) onto neutral facts.

Since API 2025-01 customer payloads carry no marketing consent: it comes from the two consent topics
and from the checkout checkboxes (``buyer_accepts_marketing``, ``buyer_accepts_sms_marketing`` with
``sms_marketing_phone``). https://shopify.dev/docs/api/webhooks?reference=toml
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from app.core.events import EventKind
from app.core.facts import (
    CartFacts,
    CheckoutFacts,
    ConsentFacts,
    ConsentState,
    ContactFacts,
    InventoryFacts,
    LineItem,
    NormalizationError,
    Normalized,
    OrderFacts,
    PrivacyRequest,
    ProductFacts,
    VariantFacts,
)
from webhooks.birthdays import birthday_of
from webhooks.payload import (
    JSONObject,
    obj,
    opt_bool,
    opt_code,
    opt_datetime,
    opt_decimal,
    opt_id,
    opt_int,
    opt_list,
    opt_locale,
    opt_obj,
    opt_str,
    req_id,
    req_str,
)
from webhooks.shopify.topics import TOPIC_KINDS

CHECKOUT_SOURCE = "shopify:checkout"


def normalize(topic: str, payload: JSONObject, occurred_at: datetime) -> Normalized:
    """Normalize one payload; ``occurred_at`` (X-Shopify-Triggered-At) stands in for missing times."""
    kind = TOPIC_KINDS.get(topic)
    if kind is None:
        raise NormalizationError(f"unknown topic {topic!r}")
    if topic == "customers_email_marketing_consent/update":
        return _email_consent(kind, payload, occurred_at)
    if topic == "customers_marketing_consent/update":
        return _sms_consent(kind, payload, occurred_at)
    return _HANDLERS[kind](kind, payload, occurred_at)


def _checkout(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    customer = opt_obj(payload, "customer") or {}
    email = opt_str(payload, "email", 320) or opt_str(customer, "email", 320)
    contact = _contact_from(customer, payload, email)
    checkout = CheckoutFacts(
        token=req_str(payload, "token"),
        platform_id=opt_id(payload, "id"),
        cart_token=opt_str(payload, "cart_token", 255),
        email=email,
        recovery_url=opt_str(payload, "abandoned_checkout_url"),
        currency=opt_code(payload, "presentment_currency", 3) or opt_code(payload, "currency", 3),
        total_price=opt_decimal(payload, "total_price"),
        line_items=_line_items(payload),
        created_at=opt_datetime(payload, "created_at"),
        updated_at=updated_at,
        completed_at=opt_datetime(payload, "completed_at"),
    )
    return Normalized(
        kind=kind,
        occurred_at=updated_at,
        contact=contact,
        consents=_checkbox_consents(payload, updated_at),
        checkout=checkout,
    )


def _cart(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    items = _line_items(payload)
    total = sum(((item.price or Decimal(0)) * item.quantity for item in items), Decimal(0))
    cart = CartFacts(
        token=req_str(payload, "token"),
        updated_at=updated_at,
        line_items=items,
        total_price=total if items else None,
    )
    return Normalized(kind=kind, occurred_at=updated_at, cart=cart)


def _order(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    customer = opt_obj(payload, "customer") or {}
    email = (
        opt_str(payload, "email", 320)
        or opt_str(payload, "contact_email", 320)
        or opt_str(customer, "email", 320)
    )
    order = OrderFacts(
        platform_id=req_id(payload, "id"),
        updated_at=updated_at,
        name=opt_str(payload, "name", 64),
        email=email,
        checkout_token=opt_str(payload, "checkout_token", 255),
        cart_token=opt_str(payload, "cart_token", 255),
        currency=opt_code(payload, "presentment_currency", 3) or opt_code(payload, "currency", 3),
        total_price=opt_decimal(payload, "total_price"),
        line_items=_line_items(payload),
        financial_status=opt_str(payload, "financial_status", 32),
        fulfillment_status=opt_str(payload, "fulfillment_status", 32),
        status_url=opt_str(payload, "order_status_url"),
        placed_at=opt_datetime(payload, "created_at") or updated_at,
        paid_at=updated_at if kind == EventKind.ORDER_PAID else None,
        fulfilled_at=updated_at if kind == EventKind.ORDER_FULFILLED else None,
        cancelled_at=(opt_datetime(payload, "cancelled_at") or updated_at)
        if kind == EventKind.ORDER_CANCELLED
        else None,
    )
    return Normalized(
        kind=kind,
        occurred_at=updated_at,
        contact=_contact_from(customer, payload, email),
        consents=_checkbox_consents(payload, updated_at),
        order=order,
    )


def _customer(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    contact = _contact_from(payload, {}, opt_str(payload, "email", 320))
    if contact is not None:
        contact = replace(contact, birthday=_birthday(payload), tags=_tags(payload))
    consents: list[ConsentFacts] = []
    # Payloads before API 2025-01 still carried consent; honour it when a store sends one.
    for field, channel in (("email_marketing_consent", "email"), ("sms_marketing_consent", "sms")):
        block = opt_obj(payload, field)
        if block is not None:
            consents.append(_consent(channel, block, "shopify:customer", updated_at))
    return Normalized(kind=kind, occurred_at=updated_at, contact=contact, consents=tuple(consents))


def _birthday(customer: JSONObject) -> str | None:
    """Read the customer's standard birthday metafield (``facts.birth_date``), when the webhook carries it.

    Webhook subscriptions include metafields of the namespaces they name (``metafieldNamespaces``).
    """
    for raw in opt_list(customer, "metafields")[:100]:
        field = obj(raw, "metafields[]")
        if opt_str(field, "namespace", 255) == "facts" and opt_str(field, "key", 255) == "birth_date":
            return birthday_of(opt_str(field, "value", 64))
    return None


def _tags(customer: JSONObject) -> tuple[str, ...]:
    """Read the comma-separated tags payloads before API 2025-01 carried."""
    raw = opt_str(customer, "tags", 5000) or ""
    return tuple(tag.strip().lower()[:64] for tag in raw.split(",") if tag.strip())[:50]


def _product(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    image = opt_obj(payload, "image") or {}
    images = opt_list(payload, "images")
    first_image = obj(images[0], "images[]") if images else {}
    product_type = opt_str(payload, "product_type", 255)
    collections = ((product_type.lower(),) if product_type else ()) + _tags(payload)
    product = ProductFacts(
        platform_id=req_id(payload, "id"),
        updated_at=updated_at,
        title=opt_str(payload, "title", 512),
        handle=opt_str(payload, "handle", 255),
        image_url=opt_str(image, "src") or opt_str(first_image, "src"),
        collections=collections,
        variants=tuple(_variant(obj(raw, "variants[]")) for raw in opt_list(payload, "variants")[:250]),
    )
    return Normalized(kind=kind, occurred_at=updated_at, product=product)


def _variant(variant: JSONObject) -> VariantFacts:
    # A variant that keeps selling when out of stock ("continue") is always available to shoppers.
    keeps_selling = opt_str(variant, "inventory_policy", 32) == "continue"
    tracked = not keeps_selling and variant.get("inventory_quantity") is not None
    return VariantFacts(
        platform_id=req_id(variant, "id"),
        title=opt_str(variant, "title", 255),
        price=opt_decimal(variant, "price"),
        available=opt_int(variant, "inventory_quantity", 0) if tracked else None,
        inventory_item_id=opt_id(variant, "inventory_item_id"),
    )


def _inventory(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    updated_at = opt_datetime(payload, "updated_at") or occurred_at
    inventory = InventoryFacts(
        inventory_item_id=req_id(payload, "inventory_item_id"),
        location_id=req_id(payload, "location_id"),
        available=opt_int(payload, "available", 0),
        updated_at=updated_at,
    )
    return Normalized(kind=kind, occurred_at=updated_at, inventory=inventory)


def _email_consent(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    contact = ContactFacts(
        platform_customer_id=opt_id(payload, "customer_id"),
        email=_lower(opt_str(payload, "email_address", 320)),
    )
    block = obj(payload.get("email_marketing_consent"), "email_marketing_consent")
    consent = _consent("email", block, "shopify:email_marketing_consent", occurred_at)
    return Normalized(kind=kind, occurred_at=consent.at, contact=contact, consents=(consent,))


def _sms_consent(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    phone = opt_str(payload, "phone", 64)
    contact = ContactFacts(platform_customer_id=opt_id(payload, "id"), phone=phone)
    block = obj(payload.get("sms_marketing_consent"), "sms_marketing_consent")
    consent = _consent("sms", block, "shopify:sms_marketing_consent", occurred_at, phone)
    return Normalized(kind=kind, occurred_at=consent.at, contact=contact, consents=(consent,))


def _app(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    return Normalized(kind=kind, occurred_at=occurred_at)


def _bulk_finished(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    """A bulk operation ended: the history sync waiting on it may read its file now."""
    operation = opt_str(payload, "admin_graphql_api_id", 255)
    return Normalized(kind=kind, occurred_at=occurred_at, extra={"bulk_operation": operation})


def _privacy(kind: EventKind, payload: JSONObject, occurred_at: datetime) -> Normalized:
    customer = opt_obj(payload, "customer") or {}
    request = opt_obj(payload, "data_request") or {}
    orders = opt_list(payload, "orders_to_redact") or opt_list(payload, "orders_requested")
    return Normalized(
        kind=kind,
        occurred_at=occurred_at,
        privacy=PrivacyRequest(
            reference=opt_id(request, "id"),
            customer=ContactFacts(
                platform_customer_id=opt_id(customer, "id"),
                email=_lower(opt_str(customer, "email", 320)),
                phone=opt_str(customer, "phone", 64),
            )
            if customer
            else None,
            order_ids=tuple(str(_order_id(o)) for o in orders),
        ),
    )


def _order_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NormalizationError("order ids must be numbers or strings")
    return str(value)


def _contact_from(customer: JSONObject, parent: JSONObject, email: str | None) -> ContactFacts | None:
    address = (
        opt_obj(parent, "shipping_address")
        or opt_obj(parent, "billing_address")
        or opt_obj(customer, "default_address")
        or {}
    )
    phone = (
        opt_str(parent, "sms_marketing_phone", 64)
        or opt_str(parent, "phone", 64)
        or opt_str(customer, "phone", 64)
    )
    contact = ContactFacts(
        platform_customer_id=opt_id(customer, "id"),
        email=_lower(email),
        phone=phone,
        first_name=opt_str(customer, "first_name", 255) or opt_str(address, "first_name", 255),
        last_name=opt_str(customer, "last_name", 255) or opt_str(address, "last_name", 255),
        locale=opt_locale(parent, "customer_locale"),
        country_code=opt_code(address, "country_code", 2),
    )
    return contact if contact.identifiable else None


def _checkbox_consents(payload: JSONObject, at: datetime) -> tuple[ConsentFacts, ...]:
    consents = []
    if opt_bool(payload, "buyer_accepts_marketing"):
        consents.append(ConsentFacts("email", ConsentState.SUBSCRIBED, CHECKOUT_SOURCE, at, grant_only=True))
    sms_phone = opt_str(payload, "sms_marketing_phone", 64)
    if opt_bool(payload, "buyer_accepts_sms_marketing") and sms_phone:
        consents.append(
            ConsentFacts(
                "sms", ConsentState.SUBSCRIBED, CHECKOUT_SOURCE, at, grant_only=True, phone=sms_phone
            )
        )
    return tuple(consents)


def _consent(
    channel: str, block: JSONObject, source: str, fallback_at: datetime, phone: str | None = None
) -> ConsentFacts:
    raw_state = (opt_str(block, "state", 32) or "not_subscribed").lower()
    try:
        state = ConsentState(raw_state)
    except ValueError:
        state = ConsentState.INVALID
    return ConsentFacts(
        channel=channel,
        state=state,
        source=source,
        at=opt_datetime(block, "consent_updated_at") or fallback_at,
        phone=phone,
    )


def _line_items(payload: JSONObject) -> tuple[LineItem, ...]:
    items = []
    for raw in opt_list(payload, "line_items")[:250]:
        item = obj(raw, "line_items[]")
        title = (
            opt_str(item, "title", 512)
            or opt_str(item, "presentment_title", 512)
            or opt_str(item, "name", 512)
            or "Item"
        )
        items.append(
            LineItem(
                title=title,
                quantity=max(opt_int(item, "quantity", 1), 0),
                price=opt_decimal(item, "price")
                if item.get("price") is not None
                else opt_decimal(item, "variant_price"),
                variant_title=opt_str(item, "variant_title", 255),
                product_id=opt_id(item, "product_id"),
                variant_id=opt_id(item, "variant_id"),
                sku=opt_str(item, "sku", 255),
            )
        )
    return tuple(items)


def _lower(email: str | None) -> str | None:
    return email.lower() if email else None


_HANDLERS: dict[EventKind, Callable[[EventKind, JSONObject, datetime], Normalized]] = {
    EventKind.CHECKOUT_STARTED: _checkout,
    EventKind.CHECKOUT_UPDATED: _checkout,
    EventKind.CART_UPDATED: _cart,
    EventKind.ORDER_PLACED: _order,
    EventKind.ORDER_PAID: _order,
    EventKind.ORDER_FULFILLED: _order,
    EventKind.ORDER_CANCELLED: _order,
    EventKind.PRODUCT_UPDATED: _product,
    EventKind.INVENTORY_UPDATED: _inventory,
    EventKind.CUSTOMER_CREATED: _customer,
    EventKind.CUSTOMER_UPDATED: _customer,
    EventKind.APP_UNINSTALLED: _app,
    EventKind.HISTORY_READY: _bulk_finished,
    EventKind.PRIVACY_DATA_REQUEST: _privacy,
    EventKind.PRIVACY_CUSTOMER_REDACT: _privacy,
    EventKind.PRIVACY_SHOP_REDACT: _privacy,
}
