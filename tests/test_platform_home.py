"""One home per platform (issue 15.2): the platforms a shop can be on each have one ``Platform``
(app/shops/platform.py), found by the name the shop row holds; tests/test_floors.py checks that no
code compares that name instead."""

from __future__ import annotations

import pytest

from app.jobs.platforms import platforms_of
from app.shops.platform import UnknownPlatformError


def test_every_platform_a_shop_can_be_on_has_a_home(app):
    platforms = platforms_of(app.extensions["storeflow"])

    assert [platforms.named(name).label for name in ("shopify", "saleor")] == ["Shopify", "Saleor"]
    with pytest.raises(UnknownPlatformError):
        platforms.named("woocommerce")
