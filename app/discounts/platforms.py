"""Pick the discount issuer for a shop's platform, with the shop's own API credentials."""

from __future__ import annotations

from app.db import db
from app.db.models import Shop
from app.discounts.errors import DiscountRefusedError
from app.discounts.issuer import DiscountIssuer
from app.jobs.services import current_services


def issuer_for(shop: Shop) -> DiscountIssuer:
    """Return what creates codes in this shop (Shopify discount codes, Saleor vouchers)."""
    services = current_services()
    if shop.platform == "shopify":
        from app.platforms.shopify.discounts import ShopifyDiscounts
        from app.platforms.shopify.graphql import ShopifyAdmin
        from app.platforms.shopify.tokens import ShopifyTokens

        tokens = ShopifyTokens(db.session(), services)
        return ShopifyDiscounts(ShopifyAdmin(shop, tokens, services.config.shopify_api_version))
    if shop.platform == "saleor":
        from app.platforms.saleor.discounts import SaleorVouchers
        from app.platforms.saleor.graphql import SaleorApi

        if shop.access_token_enc is None:
            raise DiscountRefusedError(f"{shop.domain} has no app token; the merchant must reinstall")
        token = services.cipher.decrypt(shop.access_token_enc)
        return SaleorVouchers(SaleorApi(services.http, shop.domain, token))
    raise DiscountRefusedError(f"no discount codes on platform {shop.platform!r}")
