"""A store on either platform, as the flow tests drive it: the same story told in Shopify's or Saleor's words.

Each method builds the platform's real payload shape (from the bundled samples where one exists),
signs it like the platform and delivers it to its webhook endpoint, then lets the pipeline take it
in. Product payloads follow the platforms' documented shapes: Shopify's product resource example
(the IPod Nano, product 632910392, variant 808950810, inventory item 341629) and what our Saleor
manifest's product and variant subscription queries ask for.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import responses
from flask.testing import FlaskClient

from app.db.models import Shop
from demo.saleor import checkout_from_legacy
from tests.support import saleor as saleor_support
from tests.support import shopify as shopify_support
from tests.support.factories import Factory
from tests.support.samples import sample
from tests.support.worker import Harness

SALEOR_CHECKOUT_TEMPLATE = "https://shop.example/checkout?checkout={checkout_id}"


@dataclass(frozen=True)
class Line:
    """One product in an order or a checkout."""

    product_id: str
    variant_id: str
    title: str
    price: str
    quantity: int = 1


@dataclass(frozen=True)
class Variant:
    variant_id: str
    price: str
    available: int | None
    inventory_item_id: str = ""


@dataclass
class Shopper:
    email: str
    first_name: str
    customer_id: str
    birthday: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    platform: str

    def shop(self, factory: Factory, **fields: Any) -> Shop: ...

    def customer_ref(self, shopper: Shopper) -> str: ...

    def product_id(self, n: int) -> str: ...

    def variant_id(self, n: int) -> str: ...

    def subscribe(self, shopper: Shopper) -> None: ...

    def unsubscribe(self, shopper: Shopper) -> None: ...

    def checkout(
        self, shopper: Shopper, token: str, lines: list[Line], fields: dict[str, Any] | None = None
    ) -> None:
        """Start a checkout; ``fields`` are set on the platform's checkout object as they are."""
        ...

    def order(
        self, shopper: Shopper, number: int, lines: list[Line], event: str, placed_at: datetime | None = None
    ) -> None: ...

    def product(
        self, product_id: str, title: str, variants: list[Variant], collections: tuple[str, ...] = ()
    ) -> None: ...

    def restock(self, product_id: str, title: str, variant: Variant) -> None: ...

    def set_stock(self, product_id: str, title: str, variant: Variant) -> None: ...


class ShopifyStore:
    platform = "shopify"

    def __init__(self, client: FlaskClient, harness: Harness) -> None:
        self.client = client
        self.harness = harness

    def shop(self, factory: Factory, **fields: Any) -> Shop:
        return factory.shop(storefront_url="https://shop.demo.test", **fields)

    def customer_ref(self, shopper: Shopper) -> str:
        """The customer id a storefront page may name; it proves nothing (Storeflow ignores it)."""
        return shopper.customer_id

    def product_id(self, n: int) -> str:
        return str(632910392 + n)

    def variant_id(self, n: int) -> str:
        return str(808950810 + n)

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        response = shopify_support.deliver(self.client, topic, payload)
        assert response.status_code == 200, response.json
        self.harness.drain()

    def _now(self) -> str:
        return self.harness.clock.now().isoformat()

    def _customer(self, shopper: Shopper) -> dict[str, Any]:
        return {"id": int(shopper.customer_id), "email": shopper.email, "first_name": shopper.first_name}

    def subscribe(self, shopper: Shopper) -> None:
        customer = sample("shopify", "customers_create__shopifydocs-2026-04")
        customer.update(self._customer(shopper), updated_at=self._now(), **shopper.extra)
        if shopper.birthday:
            customer["metafields"] = [
                {"namespace": "facts", "key": "birth_date", "value": shopper.birthday, "type": "date"}
            ]
        self._deliver("customers/create", customer)
        self._consent(shopper, "subscribed")

    def unsubscribe(self, shopper: Shopper) -> None:
        self._consent(shopper, "unsubscribed")

    def _consent(self, shopper: Shopper, state: str) -> None:
        self._deliver(
            "customers_email_marketing_consent/update",
            {
                "customer_id": int(shopper.customer_id),
                "email_address": shopper.email,
                "email_marketing_consent": {
                    "state": state,
                    "opt_in_level": "single_opt_in",
                    "consent_updated_at": self._now(),
                },
            },
        )

    def checkout(
        self, shopper: Shopper, token: str, lines: list[Line], fields: dict[str, Any] | None = None
    ) -> None:
        payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
        payload.update(
            token=token,
            email=shopper.email,
            buyer_accepts_marketing=True,
            updated_at=self._now(),
            customer={**payload["customer"], **self._customer(shopper)},
            line_items=[self._line(line) for line in lines],
            total_price=str(sum(Decimal(line.price) * line.quantity for line in lines)),
        )
        payload.update(fields or {})
        self._deliver("checkouts/create", payload)

    def order(
        self, shopper: Shopper, number: int, lines: list[Line], event: str, placed_at: datetime | None = None
    ) -> None:
        topic = {"placed": "orders/create", "paid": "orders/paid", "fulfilled": "orders/fulfilled"}[event]
        payload = sample("shopify", "orders_paid__shopifydocs-2026-04")
        payload.update(
            id=5778367410000 + number,
            name=f"#{number}",
            email=shopper.email,
            contact_email=shopper.email,
            customer={**payload["customer"], **self._customer(shopper)},
            checkout_token=None,
            cart_token=None,
            cancelled_at=None,
            created_at=(placed_at or self.harness.clock.now()).isoformat(),
            updated_at=self._now(),
            line_items=[self._line(line) for line in lines],
            total_price=str(sum(Decimal(line.price) * line.quantity for line in lines)),
        )
        self._deliver(topic, payload)

    def _line(self, line: Line) -> dict[str, Any]:
        return {
            "product_id": int(line.product_id),
            "variant_id": int(line.variant_id),
            "title": line.title,
            "variant_title": None,
            "price": line.price,
            "quantity": line.quantity,
            "sku": None,
        }

    def product(
        self, product_id: str, title: str, variants: list[Variant], collections: tuple[str, ...] = ()
    ) -> None:
        self._deliver(
            "products/update",
            {
                "id": int(product_id),
                "title": title,
                "handle": title.lower().replace(" ", "-"),
                "product_type": collections[0] if collections else "",
                "tags": ", ".join(collections[1:]),
                "status": "active",
                "updated_at": self._now(),
                "image": {"src": f"https://cdn.shopify.example/{product_id}.jpg"},
                "variants": [
                    {
                        "id": int(variant.variant_id),
                        "product_id": int(product_id),
                        "title": "Default Title",
                        "price": variant.price,
                        "inventory_policy": "deny",
                        "inventory_item_id": int(variant.inventory_item_id or variant.variant_id) + 1,
                        "inventory_quantity": variant.available,
                        "admin_graphql_api_id": f"gid://shopify/ProductVariant/{variant.variant_id}",
                    }
                    for variant in variants
                ],
                "admin_graphql_api_id": f"gid://shopify/Product/{product_id}",
            },
        )

    def restock(self, product_id: str, title: str, variant: Variant) -> None:
        """Stock arrives at the shop's one location: Shopify's inventory_levels/update."""
        self.set_stock(product_id, title, variant)

    def set_stock(self, product_id: str, title: str, variant: Variant) -> None:
        """The stock at the shop's one location changes: Shopify's inventory_levels/update."""
        self._deliver(
            "inventory_levels/update",
            {
                "inventory_item_id": int(variant.inventory_item_id or variant.variant_id) + 1,
                "location_id": 24826418,
                "available": variant.available,
                "updated_at": self._now(),
                "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=1",
            },
        )


class SaleorStore:
    """Saleor as a real 3.23 behaves: ``updatedAt`` moves when a product or variant is edited, not when
    its stock changes (each delivery's ``issuedAt`` does)."""

    platform = "saleor"
    http: responses.RequestsMock

    def __init__(self, client: FlaskClient, harness: Harness) -> None:
        self.client = client
        self.harness = harness
        self._edited: dict[str, str] = {}  # product or variant id → its updatedAt

    def shop(self, factory: Factory, **fields: Any) -> Shop:
        settings = {"checkout_url_template": SALEOR_CHECKOUT_TEMPLATE, **fields.pop("settings", {})}
        return factory.shop(
            domain=saleor_support.API_URL,
            platform="saleor",
            name="Demo Saleor Store",
            storefront_url="https://shop.demo.test",
            settings=settings,
            **fields,
        )

    def customer_ref(self, shopper: Shopper) -> str:
        return saleor_support.global_id("User", shopper.customer_id)

    def product_id(self, n: int) -> str:
        return saleor_support.global_id("Product", str(70 + n))

    def variant_id(self, n: int) -> str:
        return saleor_support.global_id("ProductVariant", str(700 + n))

    def _deliver(self, event: str, payload: dict[str, Any]) -> None:
        payload = {"issuedAt": self._now(), **payload}
        response = saleor_support.deliver(self.client, event, payload)
        assert response.status_code == 200, response.json
        self.harness.drain()

    def _now(self) -> str:
        return self.harness.clock.now().isoformat()

    def _user(self, shopper: Shopper, consent: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": saleor_support.global_id("User", shopper.customer_id),
            "email": shopper.email,
            "firstName": shopper.first_name,
            "updatedAt": self._now(),
        }
        if consent is not None:
            user["emailConsent"] = consent
        if shopper.birthday:
            user["birthday"] = shopper.birthday
        return user

    def subscribe(self, shopper: Shopper) -> None:
        self._deliver("CUSTOMER_UPDATED", {"user": {**self._user(shopper, "true"), **shopper.extra}})

    def unsubscribe(self, shopper: Shopper) -> None:
        self._deliver("CUSTOMER_UPDATED", {"user": self._user(shopper, "false")})

    def checkout(
        self, shopper: Shopper, token: str, lines: list[Line], fields: dict[str, Any] | None = None
    ) -> None:
        payload = checkout_from_legacy(
            sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
        )
        checkout = payload["checkout"]
        checkout.update(
            id=saleor_support.global_id("Checkout", token),
            email=shopper.email,
            user=self._user(shopper),
            updatedAt=self._now(),
            emailConsent="true",
            lines=[
                {
                    "quantity": line.quantity,
                    "unitPrice": {"gross": {"amount": float(line.price)}},
                    "variant": {
                        "id": line.variant_id,
                        "product": {"id": line.product_id, "name": line.title},
                    },
                }
                for line in lines
            ],
        )
        checkout.update(fields or {})
        self._deliver("CHECKOUT_CREATED", payload)

    def order(
        self, shopper: Shopper, number: int, lines: list[Line], event: str, placed_at: datetime | None = None
    ) -> None:
        name = {"placed": "ORDER_CREATED", "paid": "ORDER_FULLY_PAID", "fulfilled": "ORDER_FULFILLED"}[event]
        order = copy.deepcopy(sample("saleor", "ORDER_CREATED__saleor-apps-smtp-example")["order"])
        total = sum(Decimal(line.price) * line.quantity for line in lines)
        order.update(
            id=saleor_support.global_id("Order", f"order-{number}"),
            number=str(number),
            userEmail=shopper.email,
            user=self._user(shopper),
            checkoutId=None,
            created=(placed_at or self.harness.clock.now()).isoformat(),
            updatedAt=self._now(),
            status="FULFILLED" if event == "fulfilled" else "UNFULFILLED",
            isPaid=event in {"paid", "fulfilled"},
            total={"gross": {"amount": float(total), "currency": "USD"}},
            lines=[
                {
                    "productName": line.title,
                    "variantName": None,
                    "productSku": None,
                    "quantity": line.quantity,
                    "unitPrice": {"gross": {"amount": float(line.price), "currency": "USD"}},
                    "thumbnail": None,
                    "variant": {"id": line.variant_id, "product": {"id": line.product_id}},
                }
                for line in lines
            ],
        )
        self._deliver(name, {"order": order})

    def _variant(self, variant: Variant) -> dict[str, Any]:
        return {
            "id": variant.variant_id,
            "name": "Default",
            "sku": None,
            "updatedAt": self._edited.setdefault(variant.variant_id, self._now()),
            "trackInventory": variant.available is not None,
            "channelListings": [{"price": {"amount": float(variant.price), "currency": "USD"}}],
            "stocks": [{"quantity": variant.available or 0, "quantityAllocated": 0}],
        }

    def _product(self, product_id: str, title: str, collections: tuple[str, ...]) -> dict[str, Any]:
        return {
            "id": product_id,
            "name": title,
            "slug": title.lower().replace(" ", "-"),
            "updatedAt": self._edited.setdefault(product_id, self._now()),
            "thumbnail": {"url": f"https://cdn.saleor.example/{title.lower().replace(' ', '-')}.png"},
            "collections": [{"name": name} for name in collections],
            "category": None,
        }

    def product(
        self, product_id: str, title: str, variants: list[Variant], collections: tuple[str, ...] = ()
    ) -> None:
        """The merchant saves the product (``productUpdate``): its updatedAt moves, its variants' do not."""
        self._edited[product_id] = self._now()
        product = self._product(product_id, title, collections)
        product["variants"] = [self._variant(variant) for variant in variants]
        self._deliver("PRODUCT_UPDATED", {"product": product})

    def restock(self, product_id: str, title: str, variant: Variant) -> None:
        """Saleor tells of a variant back in stock with the variant and its product."""
        self._deliver(
            "PRODUCT_VARIANT_BACK_IN_STOCK", {"productVariant": self._stocked(product_id, title, variant)}
        )

    def set_stock(self, product_id: str, title: str, variant: Variant) -> None:
        """A warehouse's quantity is set (``productVariantStocksUpdate``): Saleor sends STOCK_UPDATED."""
        self._deliver(
            "PRODUCT_VARIANT_STOCK_UPDATED", {"productVariant": self._stocked(product_id, title, variant)}
        )

    def _stocked(self, product_id: str, title: str, variant: Variant) -> dict[str, Any]:
        return {**self._variant(variant), "product": self._product(product_id, title, ())}
