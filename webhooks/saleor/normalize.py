"""Map Saleor subscription payloads onto the same neutral facts Shopify's become.

Bodies are what our manifest's queries ask for (app/platforms/saleor/manifest.py): the event's object at top
level (``{"checkout": {...}, "issuedAt": ...}``), or wrapped by a filterable subscription (Saleor
3.20+) as ``{"data": {"checkoutCreated": {...}}}``. Contacts: ``checkout.email``,
``order.userEmail``, ``user.email``; phones only on addresses. ``order.checkoutId`` is the global
id of the source checkout (base64 of ``Checkout:<token>``), which is how an order ends recovery.
Consent is never assumed: it is read from the public-metadata keys the queries alias as
``emailConsent`` / ``smsConsent`` ("true"/"subscribed" grants, "false"/"unsubscribed" withdraws).

Every fact of a delivery is dated by its ``issuedAt`` (when Saleor made the event, which every
query asks for): the payload says what held then. Objects' ``updatedAt`` do not move for every
change (Saleor 3.23 leaves ``ProductVariant.updatedAt`` as it was when stock changes, and a
metadata update leaves ``User.updatedAt`` and ``Order.updatedAt``), so they only stand in for a
payload without ``issuedAt``, and the delivery's arrival for one without either.
https://docs.saleor.io/developer/extending/webhooks/subscription-webhook-payloads
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from app.core.events import EventKind
from app.core.facts import (
    CheckoutFacts,
    ConsentFacts,
    ConsentState,
    ContactFacts,
    LineItem,
    NormalizationError,
    Normalized,
    OrderFacts,
    ProductFacts,
    VariantFacts,
)
from app.db.models.types import clamped_count
from webhooks.birthdays import birthday_of
from webhooks.payload import (
    JSONObject,
    obj,
    opt_bool,
    opt_code,
    opt_datetime,
    opt_decimal,
    opt_int,
    opt_list,
    opt_locale,
    opt_obj,
    opt_str,
    req_str,
)
from webhooks.saleor.events import BIRTHDAY_FIELD, EMAIL_CONSENT_FIELD, EVENTS, SMS_CONSENT_FIELD, SaleorEvent

# Saleor's cleanup task (saleor/checkout/tasks.py delete_expired_checkouts, default settings):
# checkouts without lines go after 6 h, anonymous ones (no email, no user) after 30 days, the rest
# after 90 days of inactivity (``last_change``, exposed as ``updatedAt``).
EMPTY_CHECKOUT_TTL = timedelta(hours=6)
ANONYMOUS_CHECKOUT_TTL = timedelta(days=30)
IDENTIFIED_CHECKOUT_TTL = timedelta(days=90)

SUBSCRIBED_VALUES = ("true", "subscribed")
UNSUBSCRIBED_VALUES = ("false", "unsubscribed")


def normalize(topic: str, payload: JSONObject, occurred_at: datetime) -> Normalized:
    """Normalize one payload; ``topic`` is the lower-case ``Saleor-Event`` header."""
    event = EVENTS.get(topic)
    if event is None:
        raise NormalizationError(f"unknown Saleor event {topic!r}")
    body = _unwrap(event, payload)
    subject = body.get(event.subject)
    if not isinstance(subject, dict):
        raise NormalizationError(f"{event.subject} is missing{_reported_errors(payload, body)}")
    at = opt_datetime(body, "issuedAt") or _last_change(subject) or occurred_at
    return _HANDLERS[event.subject](event, subject, at)


def _last_change(subject: JSONObject) -> datetime | None:
    """The object's own time: its ``updatedAt`` (``lastChange`` on older checkouts)."""
    return opt_datetime(subject, "updatedAt") or opt_datetime(subject, "lastChange")


def _unwrap(event: SaleorEvent, payload: JSONObject) -> JSONObject:
    """Return the event object of either payload shape (plain, or filterable ``data.<field>``)."""
    data = payload.get("data")
    if event.subject not in payload and isinstance(data, dict) and event.field in data:
        return obj(data[event.field], f"data.{event.field}")
    return payload


def _reported_errors(*bodies: JSONObject) -> str:
    """Quote Saleor's ``errors`` (e.g. a missing permission) for the failure record."""
    for body in bodies:
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3]]
            return f" (Saleor reported: {'; '.join(messages)})"
    return ""


def _checkout(event: SaleorEvent, checkout: JSONObject, at: datetime) -> Normalized:
    user = opt_obj(checkout, "user") or {}
    email = _lower(opt_str(checkout, "email", 320) or opt_str(user, "email", 320))
    address = opt_obj(checkout, "shippingAddress") or opt_obj(checkout, "billingAddress") or {}
    phone = opt_str(address, "phone", 64)
    lines = _line_items(checkout)
    amount, currency = _gross(checkout, "totalPrice")
    facts = CheckoutFacts(
        token=_checkout_token(checkout),
        platform_id=opt_str(checkout, "id", 255),
        email=email,
        currency=currency,
        total_price=amount,
        line_items=lines,
        created_at=opt_datetime(checkout, "created"),
        updated_at=at,
        completed_at=at if event.kind == EventKind.CHECKOUT_COMPLETED else None,
        # Saleor's cleanup counts from the checkout's last change, not from this delivery.
        expires_at=_expires_at(checkout, _last_change(checkout) or at, has_owner=bool(email or user)),
    )
    consents = _consents(user, "saleor:user_metadata", at, phone)
    consents += _consents(checkout, "saleor:checkout_metadata", at, phone)
    return Normalized(
        kind=event.kind,
        occurred_at=at,
        contact=_contact(user, address, email, opt_locale(checkout, "languageCode")),
        consents=consents,
        checkout=facts,
    )


def _order(event: SaleorEvent, order: JSONObject, at: datetime) -> Normalized:
    user = opt_obj(order, "user") or {}
    email = _lower(opt_str(order, "userEmail", 320) or opt_str(user, "email", 320))
    address = opt_obj(order, "billingAddress") or opt_obj(order, "shippingAddress") or {}
    phone = opt_str(address, "phone", 64)
    status = (opt_str(order, "status", 32) or "").upper()
    amount, currency = _gross(order, "total")
    number = opt_str(order, "number", 60)
    paid = event.kind == EventKind.ORDER_PAID or opt_bool(order, "isPaid") is True
    fulfilled = event.kind == EventKind.ORDER_FULFILLED or status == "FULFILLED"
    cancelled = event.kind == EventKind.ORDER_CANCELLED or status == "CANCELED"
    facts = OrderFacts(
        platform_id=req_str(order, "id", 64),
        updated_at=at,
        name=f"#{number}" if number else None,
        email=email,
        checkout_token=_from_global_id(opt_str(order, "checkoutId", 255), "Checkout"),
        currency=currency,
        total_price=amount,
        line_items=_line_items(order),
        financial_status=(opt_str(order, "chargeStatus", 32) or "").lower() or None,
        fulfillment_status=status.lower() or None,
        status_url=opt_str(order, "redirectUrl"),
        placed_at=opt_datetime(order, "created") or at,
        paid_at=at if paid else None,
        fulfilled_at=at if fulfilled else None,
        cancelled_at=at if cancelled else None,
    )
    consents = _consents(user, "saleor:user_metadata", at, phone)
    consents += _consents(order, "saleor:order_metadata", at, phone)
    return Normalized(
        kind=event.kind,
        occurred_at=at,
        contact=_contact(user, address, email, opt_locale(order, "languageCodeEnum")),
        consents=consents,
        order=facts,
    )


def _customer(event: SaleorEvent, user: JSONObject, at: datetime) -> Normalized:
    address = opt_obj(user, "defaultShippingAddress") or opt_obj(user, "defaultBillingAddress") or {}
    email = _lower(opt_str(user, "email", 320))
    return Normalized(
        kind=event.kind,
        occurred_at=at,
        contact=_contact(user, address, email, opt_locale(user, "languageCode")),
        consents=_consents(user, "saleor:user_metadata", at, opt_str(address, "phone", 64)),
    )


def _product(event: SaleorEvent, product: JSONObject, at: datetime) -> Normalized:
    """A product event carries the product with its variants, and their stock as of ``issuedAt``."""
    variants = tuple(_variant(obj(raw, "variants[]")) for raw in opt_list(product, "variants")[:250])
    facts = _product_facts(product, at, variants)
    return Normalized(kind=event.kind, occurred_at=at, product=facts)


def _product_variant(event: SaleorEvent, variant: JSONObject, at: datetime) -> Normalized:
    """A variant event (updated, stock changed, back in stock, out of stock) carries one variant."""
    product = opt_obj(variant, "product")
    if product is None:
        raise NormalizationError("productVariant.product is missing")
    facts = _product_facts(product, at, (_variant(variant),))
    return Normalized(kind=event.kind, occurred_at=at, product=facts)


def _product_facts(
    product: JSONObject, updated_at: datetime, variants: tuple[VariantFacts, ...]
) -> ProductFacts:
    thumbnail = opt_obj(product, "thumbnail") or {}
    category = opt_obj(product, "category") or {}
    names = [opt_str(obj(raw, "collections[]"), "name", 255) for raw in opt_list(product, "collections")[:50]]
    names.append(opt_str(category, "name", 255))
    return ProductFacts(
        platform_id=req_str(product, "id", 255),
        updated_at=updated_at,
        title=opt_str(product, "name", 512),
        handle=opt_str(product, "slug", 255),
        image_url=opt_str(thumbnail, "url"),
        collections=tuple(name.lower() for name in names if name),
        variants=variants,
    )


def _variant(variant: JSONObject) -> VariantFacts:
    """Read a variant's price (its first channel listing) and stock (every warehouse, less allocations)."""
    listings = opt_list(variant, "channelListings")
    price = opt_obj(obj(listings[0], "channelListings[]"), "price") or {} if listings else {}
    available: int | None = None
    if opt_bool(variant, "trackInventory") is not False and "stocks" in variant:
        available = 0
        for raw in opt_list(variant, "stocks")[:100]:
            stock = obj(raw, "stocks[]")
            free = max(opt_int(stock, "quantity", 0) - opt_int(stock, "quantityAllocated", 0), 0)
            available = clamped_count(available + free)
    return VariantFacts(
        platform_id=req_str(variant, "id", 255),
        title=opt_str(variant, "name", 255),
        price=opt_decimal(price, "amount"),
        currency=opt_code(price, "currency", 3),
        available=available,
    )


def _app(event: SaleorEvent, app: JSONObject, at: datetime) -> Normalized:
    return Normalized(kind=event.kind, occurred_at=at)


def _contact(
    user: JSONObject, address: JSONObject, email: str | None, locale: str | None
) -> ContactFacts | None:
    country = opt_obj(address, "country") or {}
    contact = ContactFacts(
        platform_customer_id=opt_str(user, "id", 64),
        email=email,
        phone=opt_str(address, "phone", 64),
        first_name=opt_str(user, "firstName", 255) or opt_str(address, "firstName", 255),
        last_name=opt_str(user, "lastName", 255) or opt_str(address, "lastName", 255),
        locale=locale,
        country_code=opt_code(country, "code", 2),
        birthday=birthday_of(opt_str(user, BIRTHDAY_FIELD, 64)),
    )
    return contact if contact.identifiable else None


def _consents(holder: JSONObject, source: str, at: datetime, phone: str | None) -> tuple[ConsentFacts, ...]:
    """Read the consent metadata the query aliased; an absent key says nothing."""
    consents = []
    for field, channel in ((EMAIL_CONSENT_FIELD, "email"), (SMS_CONSENT_FIELD, "sms")):
        value = opt_str(holder, field, 255)
        if value is not None:
            consents.append(
                ConsentFacts(
                    channel, _consent_state(value), source, at, phone=phone if channel == "sms" else None
                )
            )
    return tuple(consents)


def _consent_state(value: str) -> ConsentState:
    normal = value.strip().lower()
    if normal in SUBSCRIBED_VALUES:
        return ConsentState.SUBSCRIBED
    if normal in UNSUBSCRIBED_VALUES:
        return ConsentState.UNSUBSCRIBED
    return ConsentState.NOT_SUBSCRIBED


def _line_items(parent: JSONObject) -> tuple[LineItem, ...]:
    """Read checkout lines (via ``variant.product``) and order lines (flat ``productName`` etc.)."""
    items = []
    for raw in opt_list(parent, "lines")[:250]:
        line = obj(raw, "lines[]")
        variant = opt_obj(line, "variant") or {}
        product = opt_obj(variant, "product") or {}
        thumbnail = opt_obj(line, "thumbnail") or opt_obj(product, "thumbnail") or {}
        price, _ = _gross(line, "unitPrice")
        items.append(
            LineItem(
                title=opt_str(line, "productName", 512) or opt_str(product, "name", 512) or "Item",
                quantity=max(opt_int(line, "quantity", 1), 0),
                price=price,
                variant_title=opt_str(line, "variantName", 255) or opt_str(variant, "name", 255),
                product_id=opt_str(product, "id", 255),
                variant_id=opt_str(variant, "id", 255),
                sku=opt_str(line, "productSku", 255) or opt_str(variant, "sku", 255),
                image_url=opt_str(thumbnail, "url"),
            )
        )
    return tuple(items)


def _gross(parent: JSONObject, key: str) -> tuple[Decimal | None, str | None]:
    """Return the gross amount and currency of a ``TaxedMoney`` field."""
    gross = opt_obj(opt_obj(parent, key) or {}, "gross") or {}
    return opt_decimal(gross, "amount"), opt_code(gross, "currency", 3)


def _checkout_token(checkout: JSONObject) -> str:
    """Return the checkout's token (UUID), the part of its global id orders point back with."""
    token = opt_str(checkout, "token", 255)
    if token is not None:
        return _from_global_id(token, "Checkout") or token
    global_id = req_str(checkout, "id", 255)
    return _from_global_id(global_id, "Checkout") or global_id


def _from_global_id(value: str | None, type_name: str) -> str | None:
    """Return ``<pk>`` of a Relay global id ``base64("<type_name>:<pk>")``; other values pass as they are."""
    if value is None:
        return None
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return value
    kind, separator, pk = decoded.partition(":")
    if kind != type_name or not separator or not pk:
        return value
    return pk


def _expires_at(checkout: JSONObject, updated_at: datetime, has_owner: bool) -> datetime | None:
    """When Saleor's cleanup deletes this checkout, unless it changes again first."""
    if "lines" in checkout and not opt_list(checkout, "lines"):
        return updated_at + EMPTY_CHECKOUT_TTL
    return updated_at + (IDENTIFIED_CHECKOUT_TTL if has_owner else ANONYMOUS_CHECKOUT_TTL)


def _lower(email: str | None) -> str | None:
    return email.lower() if email else None


_HANDLERS: dict[str, Callable[[SaleorEvent, JSONObject, datetime], Normalized]] = {
    "checkout": _checkout,
    "order": _order,
    "user": _customer,
    "product": _product,
    "productVariant": _product_variant,
    "app": _app,
}
