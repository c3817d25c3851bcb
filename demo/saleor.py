"""The Saleor half of the README demo: a stand-in Saleor instance on 127.0.0.1, and its deliveries.

The stand-in serves what Storeflow fetches from a real instance (its JWKS, and the GraphQL answer
to the install's token check) and signs deliveries like Saleor: a detached RS256 JWS with
``b64: false`` over the body, with its own RSA key. Storeflow installs through ``/saleor/register``
exactly as from a dashboard, its allowlist naming the stand-in's API URL.

Payloads are the bundled real samples (samples/saleor/*.src.txt). No public subscription-shaped
checkout body exists, so ``checkout_from_legacy`` reshapes the documented legacy checkout samples
into the shape our manifest's query asks for; every other change is a named patch, printed.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from demo.saleor_history import history_connection, load_history, page
from webhooks.saleor.events import EMAIL_CONSENT_FIELD
from webhooks.saleor.verify import sign

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "saleor"
APP_ID = "QXBwOjE="  # App:1
AUTH_TOKEN = "demo-saleor-app-token"
SHOP_NAME = "Demo Saleor Store"
CHECKOUT_URL_TEMPLATE = "https://saleor-shop.example/checkout?checkout={checkout_id}"
# Both legacy checkout samples carry the docs' placeholder id (Checkout:uuid); the guest's gets its own.
GUEST_CHECKOUT_ID = "Q2hlY2tvdXQ6NWQ0ZDBmZTMtZGVtby00Z3Vlc3Q="  # Checkout:5d4d0fe3-demo-4guest

Payload = dict[str, Any]


def load(name: str) -> Any:
    """Return a fresh copy of a bundled Saleor sample (an object, or a legacy list of them)."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


def checkout_from_legacy(legacy: Payload) -> Payload:
    """Reshape a legacy (query-less) checkout object into the payload our subscription query yields."""

    def address(raw: Payload | None) -> Payload | None:
        if not raw:
            return None
        return {
            "firstName": raw.get("first_name"),
            "lastName": raw.get("last_name"),
            "phone": raw.get("phone") or None,
            "country": {"code": raw.get("country")},
        }

    user = legacy.get("user")
    return {
        "checkout": {
            "id": legacy["id"],
            "email": legacy.get("email"),
            "created": legacy.get("created"),
            "updatedAt": legacy.get("last_change"),
            "user": None
            if not user
            else {
                "id": user["id"],
                "email": user.get("email"),
                "firstName": user.get("first_name"),
                "lastName": user.get("last_name"),
            },
            "billingAddress": address(legacy.get("billing_address")),
            "shippingAddress": address(legacy.get("shipping_address")),
            "lines": legacy.get("lines", []),
            "totalPrice": {"gross": {"amount": None, "currency": legacy.get("currency")}},
        }
    }


class FakeSaleorInstance:
    """A Saleor instance's public surface, on a local port: its JWKS, the install's token check, and
    the voucher mutations a flow's discount code makes."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "demo-key-1"
        self.vouchers = 0
        self.history = load_history()
        self._server: ThreadingHTTPServer | None = None

    @property
    def api_url(self) -> str:
        assert self._server is not None, "the stand-in Saleor is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/graphql/"

    def start(self) -> None:
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/.well-known/jwks.json":
                    return self._answer(404, {})
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(instance.key.public_key()))
                self._answer(200, {"keys": [{**jwk, "use": "sig", "kid": instance.kid}]})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/graphql/" or self.headers.get("Authorization") != f"Bearer {AUTH_TOKEN}":
                    return self._answer(401, {"errors": [{"message": "Invalid token"}]})
                document = json.loads(raw or b"{}")
                data = instance.answer(document.get("query", ""), document.get("variables"))
                self._answer(200, {"data": data})

            def _answer(self, status: int, document: Payload) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="demo-saleor", daemon=True).start()

    def answer(self, query: str, variables: Payload | None = None) -> Payload:
        """Answer the install's token check, the voucher mutations a flow's discount makes, the
        send-time check of a recovery message (app/storecheck/): the demo's checkouts are still open,
        and the history sync's pages of the bundled past (demo/saleor_history.py)."""
        connection = history_connection(query)
        if connection is not None:
            return {connection: page(connection, self.history[connection], variables or {})}
        if "StoreflowCheckoutNow" in query:
            return {"checkout": {"id": GUEST_CHECKOUT_ID}}
        if "voucherCreate" in query:
            self.vouchers += 1
            return {"voucherCreate": {"voucher": {"id": f"Vm91Y2hlcjp7{self.vouchers}"}, "errors": []}}
        if "StoreflowChannels" in query:
            return {"channels": [{"id": "Q2hhbm5lbDox"}]}
        if "voucherChannelListingUpdate" in query:
            return {"voucherChannelListingUpdate": {"errors": []}}
        return {"app": {"id": APP_ID}, "shop": {"name": SHOP_NAME}}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def sign(self, body: bytes, forged: bool = False) -> str:
        """Sign like the instance; a forged signature uses a key the instance never published."""
        return sign(body, self.forger_key if forged else self.key, self.kid)


def install(base: str, instance: FakeSaleorInstance) -> requests.Response:
    """Do what a Saleor dashboard does after reading our manifest: hand Storeflow its app token."""
    return requests.post(
        f"{base}/saleor/register",
        json={"auth_token": AUTH_TOKEN},
        # Saleor names its schema version on this request only, never with a delivery.
        headers={
            "Saleor-Api-Url": instance.api_url,
            "Saleor-Domain": "127.0.0.1",
            "Saleor-Schema-Version": "3.23",
        },
        timeout=15,
    )


@dataclass
class SaleorDelivery:
    at_hours: float
    event: str
    sample: str
    story: str
    build: Callable[[Any], Payload]
    patches: tuple[str, ...] = ()
    forged: bool = False
    same_as: SaleorDelivery | None = None  # a redelivery sends the very same bytes
    _body: bytes | None = field(default=None, init=False, repr=False)

    def redelivered(self, story: str, forged: bool = False) -> SaleorDelivery:
        """Return this delivery sent again (by Saleor, or replayed by a forger)."""
        return SaleorDelivery(
            self.at_hours, self.event, self.sample, story, self.build, forged=forged, same_as=self
        )

    def body(self, now: datetime) -> bytes:
        """Build the body once, dated ``now``; a redelivery reuses the original bytes."""
        if self.same_as is not None:
            return self.same_as.body(now)
        if self._body is None:
            payload = self.build(load(self.sample))
            payload["issuedAt"] = now.isoformat()
            _touch(payload, now)
            self._body = json.dumps(payload).encode()
        return self._body

    def post(self, base: str, instance: FakeSaleorInstance, now: datetime) -> requests.Response:
        body = self.body(now)
        headers = {
            "Content-Type": "application/json",
            "Saleor-Event": self.event.lower(),
            "Saleor-Domain": "127.0.0.1",
            "Saleor-Api-Url": instance.api_url,
            "Saleor-Signature": instance.sign(body, forged=self.forged),
        }
        return requests.post(f"{base}/webhooks/saleor", data=body, headers=headers, timeout=10)


def _touch(payload: Payload, now: datetime) -> None:
    """Date the object now: samples are from 2022-2024 and the flow clock says it is now."""
    for key in ("checkout", "order", "user"):
        if isinstance(payload.get(key), dict):
            payload[key]["updatedAt"] = now.isoformat()
            if key == "order":
                payload[key]["created"] = now.isoformat()


def _linda(payload: list[Payload]) -> Payload:
    checkout = checkout_from_legacy(payload[0])
    checkout["checkout"]["lines"] = [_line("Organic Cotton T-Shirt", 2, "40.00")]
    checkout["checkout"]["totalPrice"]["gross"]["amount"] = "80.00"
    checkout["checkout"][EMAIL_CONSENT_FIELD] = "true"
    checkout["checkout"]["languageCode"] = "DE"  # she shops in German: her reminders are in German
    return checkout


def _guest(payload: Payload) -> Payload:
    checkout = checkout_from_legacy(payload["checkout"])
    checkout["checkout"]["id"] = GUEST_CHECKOUT_ID
    checkout["checkout"]["lines"] = [_line("Wireless Earbuds Pro", 1, "96.00")]
    checkout["checkout"]["totalPrice"]["gross"]["amount"] = "96.00"
    checkout["checkout"][EMAIL_CONSENT_FIELD] = "subscribed"
    return checkout


def _adrian_paid(payload: Payload) -> Payload:
    payload["order"]["isPaid"] = True
    return payload


def _adrian_shipped(payload: Payload) -> Payload:
    payload["order"][EMAIL_CONSENT_FIELD] = "subscribed"
    return payload


def _guest_order(payload: Payload) -> Payload:
    payload["order"].update(
        id="T3JkZXI6ZGVtby1ndWVzdC1vcmRlcg==",  # Order:demo-guest-order
        number="1043",
        userEmail="user@email.com",
        user=None,
        checkoutId=GUEST_CHECKOUT_ID,
    )
    return payload


def _line(title: str, quantity: int, price: str) -> Payload:
    return {
        "quantity": quantity,
        "unitPrice": {"gross": {"amount": price}},
        "variant": {
            "id": f"demo-{uuid.uuid5(uuid.NAMESPACE_URL, title)}",
            "name": None,
            "product": {"name": title},
        },
    }


LINDA = SaleorDelivery(
    0.0,
    "CHECKOUT_CREATED",
    "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout",
    "Linda (signed in) starts a checkout; her checkout metadata says email consent",
    _linda,
    (
        "reshaped to the subscription payload",
        "lines: 2 x Organic Cotton T-Shirt = 80.00",
        "emailConsent: true",
        "languageCode: DE",
    ),
)

SCENARIO = (
    LINDA,
    LINDA.redelivered("Saleor redelivers it (same bytes)"),
    LINDA.redelivered("someone replays it with a forged signature", forged=True),
    SaleorDelivery(
        0.05,
        "CHECKOUT_CREATED",
        "CHECKOUT_FILTER_SHIPPING_METHODS__saleor-docs-legacy-checkout",
        "a guest (user@email.com) starts a checkout and agrees to emails",
        _guest,
        (
            "reshaped to the subscription payload",
            "id: Checkout:5d4d0fe3-demo-4guest",
            "lines: 1 x Wireless Earbuds Pro = 96.00",
            "emailConsent: subscribed",
        ),
    ),
    SaleorDelivery(
        0.2,
        "ORDER_FULLY_PAID",
        "ORDER_CREATED__saleor-apps-smtp-example",
        "Adrian's order #1042 is paid in full",
        _adrian_paid,
        ("isPaid: true",),
    ),
    SaleorDelivery(
        0.5,
        "ORDER_CREATED",
        "ORDER_CREATED__saleor-apps-smtp-example",
        "the guest completes her checkout (order #1043, checkoutId names it)",
        _guest_order,
        ("id", "number: 1043", "userEmail: user@email.com", "checkoutId: the guest's checkout"),
    ),
    SaleorDelivery(
        0.6,
        "ORDER_FULFILLED",
        "ORDER_CREATED__saleor-apps-smtp-example",
        "Adrian's order ships",
        _adrian_shipped,
        ("emailConsent: subscribed (checkout metadata carried to the order)",),
    ),
)
