"""Hostile requests for every route the app serves, for the fuzz test and bench/fuzz_routes.py.

The routes come from the app's own URL map (every rule, every method) plus the three doors served
ahead of Flask (``app/web/webhooks/ingress.py``, ``app/web/storefront/ingress.py``), so a new route is fuzzed
without anyone adding it here. Each request gets generated path values, a query string, a body
(none, a form, JSON or raw bytes) and headers, with NUL bytes, huge and odd numbers, far dates and
unicode among the values. Some are sent as a signed-in merchant (a real login link, the real CSRF
token), and webhook bodies are signed for real (Shopify's HMAC, Saleor's JWS, SendGrid's ECDSA,
Twilio's ``RequestValidator``) so the requests get past the signature checks to the code behind them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import responses
from flask import Flask
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, PathConverter
from werkzeug.test import TestResponse

from app.core.clock import utcnow
from app.db import db
from app.db.models import Contact, Shop
from app.messaging.links import click_url
from app.messaging.signed_links import confirm_url, unsubscribe_url
from app.web.admin.auth import login_link_token
from tests.support.admin import private_message
from tests.support.factories import Factory
from tests.support.saleor import API_URL, JWKS_URL, jwks, saleor_headers, signing_key, who_am_i
from tests.support.sendgrid_events import signed_headers
from tests.support.shopify import TEST_SECRET, shopify_headers
from tests.support.storefront import STOREFRONT
from tests.support.twilio_requests import APP_URL, signature
from tests.test_fuzz_normalizers import json_values

SECRET_KEY = "test-secret-key"
TWILIO_TOKEN = "test-auth-token"
# Served ahead of Flask, so absent from its URL map.
INGRESS_DOORS = (("/webhooks/shopify", "POST"), ("/webhooks/saleor", "POST"), ("/storefront/events", "POST"))
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Doors whose signature covers the raw body (Twilio's covers the parsed form instead).
BYTE_SIGNED = {"/webhooks/shopify", "/webhooks/saleor", "/webhooks/sendgrid"}

# Values that once broke something, or are made to.
NASTY = [
    *("", "\x00", "a\x00b", "%00", "0", "-1", "1", "2", "1e20", "1e400", "NaN", "inf", "-0", "0x10"),
    *("99999999999", "99999999999999999999", "9" * 400, str(2**31), str(2**63), "\u00b2", "\u0663"),
    *("0001-01-01", "9999-12-31", "2026-02-30", "2026-11-26", "true", "null", "[]", "{}", "on", "off"),
    *("../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", "\ud7ff", " ", "\r\n"),
    *("https://evil.example/", "javascript:alert(1)", "erase", "reset", "email", "sms", "push"),
]
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
# Names the views read, so generated values reach their parsers, and any others.
PARAMS = [
    *("page", "q", "status", "flow", "start", "end", "k", "ref", "step", "fmt", "shop", "host"),
    *("embedded", "id_token", "hmac", "code", "state", "timestamp", "product_id", "variant_id"),
    *("title", "email", "phone", "subscribe", "csrf_token", "action", "enabled", "confirm", "test_to"),
    *("part_subject", "part_text", "part_html", "part_title", "part_url", "contact_id", "scenario"),
    *("api_key", "account_sid", "auth_token", "from_number", "sender_name", "sender_email", "wording"),
    *("MessageStatus", "MessageSid", "ErrorCode", "AccountSid", "From", "To", "Body", "endpoint"),
]
param_names = st.one_of(st.sampled_from(PARAMS), st.text(max_size=8))
queries = st.dictionaries(param_names, hostile_text, max_size=5)
forms = st.dictionaries(param_names, hostile_text, max_size=8)
FLOW_KEYS = ["abandoned_checkout", "welcome_series", "thank_you", "back_in_stock", "nope"]
STEPS = ["first_email", "second_email", "sms", "push", "nope"]
HEADER_CHOICES: dict[str, list[str]] = {
    "Content-Type": [
        *("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"),
        *("application/json; charset=latin-1", "", "\x7f"),
    ],
    "Origin": [STOREFRONT, "https://evil.example", "null", ""],
    "Authorization": ["Bearer x", "Bearer a.b.c", "Basic Zm9vOmJhcg==", ""],
    "Saleor-Api-Url": [API_URL, "https://evil.example/graphql/", "http://127.0.0.1/graphql/", "x"],
    "X-Forwarded-For": ["1.2.3.4", "", "x" * 300],
    "X-Shopify-Topic": ["checkouts/create", "app/uninstalled", "shop/redact", "x"],
    "Accept": ["application/json", "*/*", "text/html"],
}
headers = st.dictionaries(st.sampled_from(sorted(HEADER_CHOICES)), st.integers(0, 10), max_size=3).map(
    lambda picks: {name: HEADER_CHOICES[name][i % len(HEADER_CHOICES[name])] for name, i in picks.items()}
)
SHOPIFY_TOPICS = [
    *("checkouts/create", "checkouts/update", "orders/create", "orders/paid", "customers/create"),
    *("customers/update", "products/update", "carts/create", "app/uninstalled", "shop/redact", "x/y"),
]
SALEOR_EVENTS = ["CHECKOUT_CREATED", "ORDER_CREATED", "CUSTOMER_UPDATED", "PRODUCT_UPDATED", "NOPE"]


@dataclass(frozen=True)
class Door:
    """One route and method: its path with ``<name>`` placeholders, and each placeholder's kind."""

    path: str
    method: str
    parameters: dict[str, str] = field(default_factory=dict)  # name -> "id", "path" or "text"


def doors(app: Flask) -> list[Door]:
    """Every route and method the app serves, with the WSGI doors that come before Flask."""
    found = [Door(path, method) for path, method in INGRESS_DOORS]
    for rule in app.url_map.iter_rules():
        kinds = {
            name: "id"
            if isinstance(conv, IntegerConverter)
            else "path"
            if isinstance(conv, PathConverter)
            else "text"
            for name, conv in rule._converters.items()
        }
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"<\1>", rule.rule)
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            found.append(Door(path, method, kinds))
    return found


@dataclass
class Target:
    """The rows the requests can name: one installed shop with a contact and a message."""

    shop_id: int
    storefront_key: str
    contact_id: int
    message_id: int


def make_target(factory: Factory) -> Target:
    """One Shopify shop with a contact and a sent message, and a Saleor shop for signed deliveries."""
    factory.shop(domain=API_URL, platform="saleor")
    shop = factory.shop(storefront_url=STOREFRONT, email="hello@demo-shop.test")
    message = private_message(factory, shop)
    factory.session.get_one(Contact, message.contact_id).phone = "+16135551111"
    factory.session.commit()
    return Target(shop.id, shop.storefront_key, message.contact_id, message.id)


@dataclass(frozen=True)
class FuzzRequest:
    door: Door
    path_values: dict[str, str]
    query: dict[str, str]
    body_kind: str
    form: dict[str, str]
    json_body: Any
    raw: bytes
    headers: dict[str, str]
    as_admin: bool
    signed: bool
    topic: str


def requests_for(app: Flask) -> st.SearchStrategy[FuzzRequest]:
    """Generated requests spread over every door of the app."""
    return st.sampled_from(doors(app)).flatmap(_request_for)


def _request_for(door: Door) -> st.SearchStrategy[FuzzRequest]:
    return st.builds(
        FuzzRequest,
        door=st.just(door),
        path_values=st.fixed_dictionaries(
            {name: _path_value(name, kind) for name, kind in door.parameters.items()}
        ),
        query=queries,
        body_kind=st.sampled_from(["none", "form", "json", "raw"]),
        form=forms,
        json_body=json_values,
        raw=st.binary(max_size=200),
        headers=headers,
        as_admin=st.booleans(),
        signed=st.booleans(),
        topic=st.sampled_from(SHOPIFY_TOPICS + SALEOR_EVENTS),
    )


def _path_value(name: str, kind: str) -> st.SearchStrategy[str]:
    if kind == "id":
        return st.one_of(
            st.sampled_from(["target", "1", "2", str(2**31 - 1)]), st.integers(1, 2**40).map(str)
        )
    if name == "flow_key":
        return st.one_of(st.sampled_from(FLOW_KEYS), hostile_text)
    if name == "step":
        return st.one_of(st.sampled_from(STEPS), hostile_text)
    if name == "fmt":
        return st.sampled_from(["yaml", "json", "xml", ""])
    if name == "token":
        return st.one_of(st.just("signed"), hostile_text)
    return hostile_text


class RouteFuzzer:
    """Sends generated requests to one app: as an anonymous visitor, or as the target's merchant."""

    def __init__(self, app: Flask, target: Target) -> None:
        self.app = app
        self.target = target
        self.anonymous = app.test_client()
        self.admin = app.test_client()
        self.csrf = ""
        self.sent = 0

    @contextmanager
    def outbound_faked(self) -> Iterator[None]:
        """Answer Saleor's keys and API at the HTTP boundary; refuse every other outbound call."""
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.get(JWKS_URL, json=jwks(signing_key("k1")))
            mock.post(API_URL, json=who_am_i())
            yield

    def log_in(self) -> None:
        page = self.admin.get(
            f"/admin/login/{login_link_token(SECRET_KEY, self.target.shop_id)}", follow_redirects=True
        )
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.csrf = found.group(1) if found else ""

    def send(self, request: FuzzRequest) -> TestResponse:
        """Send one request; keep the merchant signed in and the shop installed for the next."""
        door = request.door
        path = self._path(door, request.path_values)
        client = self.admin if request.as_admin else self.anonymous
        if request.as_admin and not self.csrf:
            self.log_in()
        query = dict(request.query)
        if door.path in ("/storefront/events", "/storefront/notify", "/storefront/push") and request.signed:
            query.setdefault("k", self.target.storefront_key)  # the shop's real (public) key
        query_string = urlencode(query)  # encoded once, so a signature covers exactly what is sent
        body, content_headers = self._body(request)
        sent_headers = {**request.headers, **content_headers}
        if request.signed:
            sent_headers.update(self._signature(door, path, query_string, request.topic, body))
        self.sent += 1
        response = client.open(
            path, method=door.method, query_string=query_string, data=body, headers=sent_headers
        )
        if door.path in ("/admin/logout", "/admin/login/<token>") and request.as_admin:
            self.csrf = ""
        self._keep_installed()
        return response

    def _path(self, door: Door, values: dict[str, str]) -> str:
        path = door.path
        for name, value in values.items():
            real = self._real(door, name, value)
            safe = "/" if door.parameters[name] == "path" else ""
            path = path.replace(f"<{name}>", quote(real, safe=safe))
        return path

    def _real(self, door: Door, name: str, value: str) -> str:
        """Swap the placeholders for the target's real ids and validly signed tokens."""
        target = self.target
        if value == "target":
            return str(target.message_id if name == "message_id" else target.contact_id)
        if value != "signed":
            return value
        if door.path.startswith("/admin/login/"):
            return login_link_token(SECRET_KEY, target.shop_id)
        if door.path.startswith("/c/"):
            link = click_url(APP_URL, SECRET_KEY, target.message_id, 0)
        elif door.path.startswith("/confirm/"):
            link = confirm_url(APP_URL, SECRET_KEY, target.shop_id, target.contact_id)
        else:
            link = unsubscribe_url(
                APP_URL, SECRET_KEY, target.shop_id, target.contact_id, "email", target.message_id
            )
        return link.rsplit("/", 1)[1]

    def _body(self, request: FuzzRequest) -> tuple[Any, dict[str, str]]:
        kind = request.body_kind
        if kind == "form" and request.door.path in BYTE_SIGNED:  # signed over the bytes: send those
            return urlencode(request.form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        if kind == "form":
            form = dict(request.form)
            if request.as_admin and "csrf_token" not in form:
                form["csrf_token"] = self.csrf
            return form, {}
        if kind == "json":
            return json.dumps(request.json_body).encode(), {"Content-Type": "application/json"}
        if kind == "raw":
            return request.raw, {}
        return None, {}

    def _signature(self, door: Door, path: str, query_string: str, topic: str, body: Any) -> dict[str, str]:
        """Sign as the platform or provider would, over exactly what is sent."""
        raw = body if isinstance(body, bytes) else b""
        if door.path == "/webhooks/shopify":
            return shopify_headers(raw, topic, "demo-shop.myshopify.com", secret=TEST_SECRET)
        if door.path == "/webhooks/saleor":
            return saleor_headers(raw, topic, signing_key("k1"))
        if door.path == "/webhooks/sendgrid":
            return signed_headers(raw)
        if door.path.startswith("/webhooks/twilio") and isinstance(body, dict):
            url = APP_URL + path + ("?" + query_string if query_string else "")
            return {"X-Twilio-Signature": signature(url, body, TWILIO_TOKEN)}
        return {}

    def _keep_installed(self) -> None:
        """Undo what a request did to the target's shop that would stop later requests reaching code."""
        with self.app.app_context():
            shop = db.session.get(Shop, self.target.shop_id)
            if shop is not None and not shop.is_installed:
                shop.installed_at = shop.installed_at or utcnow()
                shop.uninstalled_at = None
                db.session.commit()
