"""One home per platform (issue 15.2): what differs between Shopify and Saleor is asked of the shop's
``Platform`` (app/shops/platform.py), never decided by comparing its name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.jobs.platforms import platforms_of
from app.shops.platform import UnknownPlatformError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("app", "webhooks", "flows")
# A comparison with a platform's name: ``shop.platform == SALEOR``, ``"shopify" != name``, ...
BRANCH = re.compile(
    r"""platform\s*[!=]=|[!=]=\s*(SHOPIFY|SALEOR|PLATFORM)\b|PLATFORM\s*[!=]="""
    r"""|[!=]=\s*["'](shopify|saleor)["']|["'](shopify|saleor)["']\s*[!=]="""
)
# Selecting rows by their platform column builds a query; it decides nothing about behaviour.
QUERY = re.compile(r"Shop\.platform\s*==")


def branches() -> list[str]:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".html"}:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if BRANCH.search(QUERY.sub("", line)):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_code_branches_on_the_name_of_a_platform():
    assert branches() == []


def test_every_platform_a_shop_can_be_on_has_a_home(app):
    platforms = platforms_of(app.extensions["storeflow"])

    assert [platforms.named(name).name for name in ("shopify", "saleor")] == ["shopify", "saleor"]
    with pytest.raises(UnknownPlatformError):
        platforms.named("woocommerce")
