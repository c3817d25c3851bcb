"""What Storeflow needs of a shop's platform, so no code asks which platform a shop is on.

Each platform (Shopify, Saleor) answers this one protocol from its own package under
app/platforms/ (``platform.py``); the edge (a job, a view, the CLI: app/jobs/platforms.py) builds
them with the app's services and hands them in as a ``PlatformDirectory``. The domain reads only
this floor: it makes discount codes (app/discounts/), checks a message against the live store
(app/storecheck/), reconciles missed webhooks (app/reconcile/) and accepts storefront origins
(app/storefront/) without importing a platform's code. The shapes the platforms answer in
(``VariantFacts``, ``RemoteCheckout``, ``RemoteOrder``) live here too, next to the calls that
return them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.core.errors import StoreflowError
from app.db.models import DiscountCode, Shop
from app.shops.history import HistorySource


class UnknownPlatformError(StoreflowError, LookupError):
    """A shop names a platform Storeflow has no adapter for."""


class DiscountIssuer(Protocol):
    """The one thing a platform must do for a discount: create a code we already chose and stored."""

    def create(self, shop: Shop, code: DiscountCode) -> str:
        """Create ``code`` on the platform (or find it, if an earlier attempt did) and return its id.

        Raise DiscountUnavailableError when worth retrying, DiscountRefusedError when not.
        """
        ...


@dataclass(frozen=True)
class VariantFacts:
    """A variant as the store sees it now: can it be bought, and at what price (None: unknown)."""

    available: bool
    price: Decimal | None

    def to_json(self) -> dict[str, Any]:
        """Return the facts as JSON for the cache."""
        return {"available": self.available, "price": str(self.price) if self.price is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VariantFacts:
        """Rebuild the facts from the cache."""
        price = data.get("price")
        return cls(available=bool(data.get("available")), price=Decimal(price) if price else None)


class LiveStore(Protocol):
    """One platform's answers; each method raises StoreUnreachableError when the store cannot say."""

    def checkout_ordered(self, token: str) -> bool | None:
        """Tell whether the checkout became an order (or is gone); None when this store cannot tell."""
        ...

    def cart_ordered(self, token: str) -> bool | None:
        """Tell whether an order came from the cart; None when this store cannot tell."""
        ...

    def variant(self, variant_id: str) -> VariantFacts:
        """Return the variant's availability and price now (deleted: unavailable)."""
        ...


@dataclass(frozen=True)
class RemoteCheckout:
    """A checkout as the platform reports it now, with the webhook payload that would have told us."""

    platform_id: str
    token: str | None  # None when the platform's API does not expose it (Shopify)
    recovery_url: str | None
    updated_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class RemoteOrder:
    """An order as the platform reports it now; ``milestones`` are the topics its state implies."""

    platform_id: str
    updated_at: datetime
    paid: bool
    fulfilled: bool
    cancelled: bool
    payload: dict[str, Any]


class RecentActivity(Protocol):
    """One shop's recent checkouts and orders, reshaped as its platform's webhook payloads.

    Raises ReconcileNoAccessError when the platform no longer lets us read the shop and
    ReconcileRefusedError when it refuses for good; anything else is worth retrying.
    """

    platform: str
    checkout_topics: tuple[str, str]
    order_topics: dict[str, str]
    checkout_settle: timedelta
    order_settle: timedelta

    def learn_identity(self, shop: Shop) -> None:
        """Fill in what the platform's deliveries name the shop by, if it is not stored yet."""
        ...

    def checkouts(self, since: datetime, until: datetime) -> Iterator[RemoteCheckout]: ...

    def orders(self, since: datetime, until: datetime) -> Iterator[RemoteOrder]: ...


class Platform(Protocol):
    """One commerce platform, as every part of Storeflow that must treat platforms differently sees it."""

    name: str  # what ``Shop.platform`` holds
    label: str  # what a merchant reads
    web_pixel: bool  # the app ships a storefront pixel the platform runs sandboxed (opaque origin)
    takes_checkout_url: bool  # the merchant tells us the storefront's checkout URL (headless Saleor)
    consent_sources: str  # where shoppers' marketing consent comes from, in a merchant's words
    app_bridge: bool  # its admin embeds our pages through Shopify's App Bridge (nav menu, tokens)
    embedding_key: str | None  # the public key the platform's embedded admin needs (App Bridge)

    def home_origin(self, domain: str) -> str | None:
        """Return the storefront origin every shop of the platform has at its domain, if any."""
        ...

    def discount_issuer(self, session: Session, shop: Shop) -> DiscountIssuer:
        """Return what creates codes in this shop; raise DiscountRefusedError when nothing can."""
        ...

    def live_store(self, session: Session, shop: Shop) -> LiveStore | None:
        """Return what answers for this shop's store, or None when it holds no API token to ask with."""
        ...

    def recent_activity(self, session: Session, shop: Shop, now: datetime) -> RecentActivity:
        """Return what reads this shop's recent checkouts and orders for reconciliation."""
        ...

    def history(self, session: Session, shop: Shop) -> HistorySource | None:
        """Return what reads this shop's past (app/shops/history.py), or None without a token to ask with."""
        ...

    def flow_problems(self, shop: Shop, subject: str | None, offers_discount: bool) -> tuple[str, ...]:
        """List what the platform stops a flow on this subject from doing, in words a merchant acts on."""
        ...

    def needs_checkout_url(self, shop: Shop) -> bool:
        """Tell whether recovery messages lack a link until the merchant enters the checkout URL."""
        ...

    def storefront_problem(self, shop: Shop) -> str | None:
        """Say, in words a merchant acts on, what keeps the storefront pieces we install from running."""
        ...

    def order_admin_url(self, shop: Shop, order_platform_id: str) -> str | None:
        """Return where the merchant opens this order in the platform's own admin, if we know."""
        ...

    def admin_visited(self, shop: Shop) -> None:
        """Bring the platform's side of the installation up to date when the merchant opens the admin."""
        ...


class PlatformDirectory(Protocol):
    """The platforms an app instance serves, by the name a shop row holds."""

    def named(self, name: str) -> Platform:
        """Return the platform called ``name``; raise UnknownPlatformError when there is none."""
        ...

    def of(self, shop: Shop) -> Platform:
        """Return the shop's platform."""
        ...
