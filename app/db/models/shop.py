"""A store that installed Storeflow, on either platform."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import JSONDoc, UTCDateTime


def new_storefront_key() -> str:
    """Make the public key a storefront's snippet or pixel names its shop by."""
    return secrets.token_urlsafe(16)


class Shop(Base):
    """One installation: the platform, how to reach its API, and the merchant's settings."""

    __tablename__ = "shop"
    __table_args__ = (UniqueConstraint("platform", "domain"), UniqueConstraint("storefront_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Shopify: the myshopify.com domain. Saleor: the GraphQL API URL.
    domain: Mapped[str] = mapped_column(String(255))
    # Shopify: the shop's numeric id, which compliance and uninstall bodies name it by (Shopify
    # signs the body, not the shop header); learned from the shop query at install. Saleor: unused.
    platform_shop_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    storefront_url: Mapped[str | None] = mapped_column(String(512))
    # Public, not a secret: it sits in the storefront's page source. It names the shop to the
    # storefront events endpoint, which then only accepts the shop's own origins.
    storefront_key: Mapped[str] = mapped_column(String(32), default=new_storefront_key)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(Text)
    # The API version the platform said the installation speaks. Saleor sends Saleor-Schema-Version
    # only when it registers the app, never with a delivery, so its deliveries are stored with this.
    api_version: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None and self.uninstalled_at is None

    @property
    def display_name(self) -> str:
        return self.name or self.domain.split(".")[0]

    @property
    def store_url(self) -> str:
        """Where shoppers browse; falls back to the platform domain."""
        return self.storefront_url or f"https://{self.domain}"
