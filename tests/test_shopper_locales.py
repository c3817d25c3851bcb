"""A shopper's language arrives in one spelling from either platform, and hostile values just fall back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.locales import normal_locale
from tests.support.samples import sample
from tests.test_saleor_normalize import linda_checkout
from webhooks.saleor.normalize import normalize as saleor_normalize
from webhooks.shopify.normalize import normalize as shopify_normalize

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOSTILE = ("", "   ", "example string", "x" * 300, "d", "de_DE_" + "x" * 40, "123", "🇩🇪", 42, None, ["de"])


def shopify_locale(value: object) -> str | None:
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload["customer_locale"] = value
    contact = shopify_normalize("checkouts/create", payload, NOW).contact
    assert contact is not None  # the shopper is still there, whatever their locale said
    return contact.locale


def saleor_locale(value: object) -> str | None:
    payload = linda_checkout(languageCode=value)
    contact = saleor_normalize("checkout_created", payload, NOW).contact
    assert contact is not None
    return contact.locale


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("de", "de"),
        ("pt-BR", "pt-BR"),
        ("en-us", "en-US"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("es-419", "es-419"),
    ],
)
def test_shopify_customer_locale_is_kept_as_a_bcp47_tag(sent, kept):
    assert shopify_locale(sent) == kept


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("DE", "de"),
        ("PT_BR", "pt-BR"),
        ("EN_US", "en-US"),
        ("ZH_HANS_CN", "zh-Hans-CN"),
        ("AST_ES", "ast-ES"),
    ],
)
def test_saleor_language_code_enum_becomes_the_same_tag(sent, kept):
    assert saleor_locale(sent) == kept


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_a_shopify_locale_that_is_no_language_tag_is_dropped_not_the_shopper(value):
    assert shopify_locale(value) is None


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_a_saleor_language_code_that_is_no_language_tag_is_dropped_not_the_shopper(value):
    assert saleor_locale(value) is None


def test_a_well_formed_code_nobody_translates_is_kept_for_the_fallback_chain_to_pass_by():
    assert normal_locale("XX_YY") == "xx-YY"


def test_variants_and_extensions_are_left_off():
    assert normal_locale("de-DE-1996") == "de-DE"
    assert normal_locale("en-US-u-ca-buddhist") == "en-US"
