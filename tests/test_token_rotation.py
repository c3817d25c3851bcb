"""Rotating TOKEN_ENCRYPTION_KEY (issue 14.9): every stored secret re-encrypted with the newest key,
so the old key can be dropped; and a clean answer while a stored secret has no key left.

The app runs with ``NEW_KEY,OLD_KEY`` (newest first, as the README's rotation steps say); secrets
saved before the rotation were encrypted with ``OLD_KEY`` alone.
"""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.core.crypto import TokenCipher
from app.db import db
from app.db.models import Contact, Shop
from app.shops.settings import SENDGRID, TWILIO, provider, store_provider
from tests.support.db import rows
from tests.support.twilio_requests import AUTH_TOKEN, OUR_NUMBER, inbound_params, post_signed

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
LOST_KEY = Fernet.generate_key().decode()
OLD = TokenCipher((OLD_KEY,))
NEW_ONLY = TokenCipher((NEW_KEY,))
SHOP_ACCOUNT = "AC" + "7" * 32
SHOP_TWILIO_TOKEN = "the-shops-own-twilio-token"
PHONE = "+16135551111"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"token_encryption_keys": (NEW_KEY, OLD_KEY), "twilio_auth_token": AUTH_TOKEN}


def save_secrets(factory, cipher: TokenCipher) -> None:
    """One shop of each platform with every kind of secret Storeflow stores, encrypted by ``cipher``."""
    shopify = factory.shop(
        access_token_enc=cipher.encrypt("shpat_offline"), refresh_token_enc=cipher.encrypt("shprt_refresh")
    )
    store_provider(shopify, SENDGRID, {"api_key": cipher.encrypt("SG.merchant-key")})
    store_provider(shopify, TWILIO, {"account_sid": SHOP_ACCOUNT, "auth_token": cipher.encrypt("twilio-tok")})
    factory.shop(
        platform="saleor",
        domain="https://saleor.test/graphql/",
        access_token_enc=cipher.encrypt("saleor-app"),
    )
    factory.session.commit()


def stored_secrets(app, cipher: TokenCipher) -> dict[str, str]:
    """Decrypt every stored secret with ``cipher`` (raises if one does not decrypt)."""
    found = {}
    for shop in rows(app, Shop):
        found[f"{shop.platform} access"] = cipher.decrypt(shop.access_token_enc)
        if shop.refresh_token_enc:
            found[f"{shop.platform} refresh"] = cipher.decrypt(shop.refresh_token_enc)
        if key := provider(shop, SENDGRID).get("api_key"):
            found["sendgrid"] = cipher.decrypt(key)
        if token := provider(shop, TWILIO).get("auth_token"):
            found["twilio"] = cipher.decrypt(token)
    return found


def rotate(app):
    return app.test_cli_runner().invoke(args=["storeflow", "rotate-tokens"])


def test_rotation_re_encrypts_every_stored_secret_so_the_old_key_can_be_dropped(app, factory):
    save_secrets(factory, OLD)

    result = rotate(app)

    assert result.exit_code == 0, result.output
    assert stored_secrets(app, NEW_ONLY) == {
        "shopify access": "shpat_offline",
        "shopify refresh": "shprt_refresh",
        "sendgrid": "SG.merchant-key",
        "twilio": "twilio-tok",
        "saleor access": "saleor-app",
    }


def test_rotation_reports_its_counts_and_a_second_run_changes_nothing(app, factory):
    save_secrets(factory, OLD)

    first = rotate(app)
    after_first = {shop.id: (shop.access_token_enc, shop.settings) for shop in rows(app, Shop)}
    second = rotate(app)

    assert "re-encrypted 5 secret(s) of 2 shop(s) with the newest key; 0 already were" in first.output
    assert "re-encrypted 0 secret(s) of 2 shop(s) with the newest key; 5 already were" in second.output
    assert {shop.id: (shop.access_token_enc, shop.settings) for shop in rows(app, Shop)} == after_first


def test_a_secret_no_configured_key_decrypts_is_named_left_as_it_is_and_fails_the_command(app, factory):
    save_secrets(factory, OLD)
    lost = factory.shop(
        domain="lost-shop.myshopify.com", access_token_enc=TokenCipher((LOST_KEY,)).encrypt("x")
    )
    kept = lost.access_token_enc

    result = rotate(app)

    assert result.exit_code != 0
    assert f"shop {lost.id} (shopify lost-shop.myshopify.com): access token" in result.output
    assert "x" not in result.output.split("access token", 1)[1].split()  # never the secret itself
    assert rows(app, Shop, id=lost.id)[0].access_token_enc == kept
    first_shop = rows(app, Shop)[0]
    assert NEW_ONLY.decrypt(provider(first_shop, SENDGRID)["api_key"]) == "SG.merchant-key"  # others rotated


@pytest.fixture
def shop_with_lost_twilio_token(factory) -> Shop:
    """A shop whose saved Twilio token was encrypted with a key the deployment no longer has."""
    shop = factory.shop(email="hello@demo-shop.test")
    factory.contact(shop, phone=PHONE, sms_consent="subscribed", sms_consent_source="shopify:checkout")
    store_provider(
        shop,
        TWILIO,
        {
            "account_sid": SHOP_ACCOUNT,
            "auth_token": TokenCipher((LOST_KEY,)).encrypt(SHOP_TWILIO_TOKEN),
            "from_number": OUR_NUMBER,  # the number the shopper texts belongs to this account
        },
    )
    factory.session.commit()
    return shop


def test_an_inbound_sms_whose_shop_token_no_key_decrypts_answers_a_configuration_error(
    app, client, shop_with_lost_twilio_token, caplog
):
    params = {**inbound_params(PHONE, "STOP"), "AccountSid": SHOP_ACCOUNT}

    with caplog.at_level(logging.ERROR):
        response = post_signed(client, "/webhooks/twilio/inbound", params, token=SHOP_TWILIO_TOKEN)

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert "TOKEN_ENCRYPTION_KEY" in caplog.text
    assert f"shop {shop_with_lost_twilio_token.id}" in caplog.text
    with app.app_context():
        assert db.session.scalars(select(Contact.sms_consent)).one() == "subscribed"  # nothing acted on


def test_an_inbound_sms_the_deployments_token_vouches_for_is_answered_despite_a_lost_shop_token(
    app, client, shop_with_lost_twilio_token
):
    params = {**inbound_params(PHONE, "STOP"), "AccountSid": SHOP_ACCOUNT}

    response = post_signed(client, "/webhooks/twilio/inbound", params, token=AUTH_TOKEN)

    assert response.status_code == 200


def test_a_forged_inbound_sms_is_still_refused_while_a_shop_token_is_lost(
    app, client, shop_with_lost_twilio_token
):
    params = {**inbound_params(PHONE, "STOP"), "AccountSid": "AC" + "9" * 32}

    response = post_signed(client, "/webhooks/twilio/inbound", params, token="forged-token")

    assert response.status_code == 401


def test_an_admin_page_that_needs_a_lost_secret_answers_a_configuration_error(
    app, client, shop_with_lost_twilio_token, caplog
):
    from tests.support.admin import log_in

    csrf = log_in(client, shop_with_lost_twilio_token.id)
    form = {"csrf_token": csrf, "twilio_account_sid": SHOP_ACCOUNT, "twilio_from_number": "+16135550123"}

    with caplog.at_level(logging.ERROR):
        response = client.post("/admin/settings/twilio", data=form)  # a blank token keeps the saved one

    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)
    assert "TOKEN_ENCRYPTION_KEY" in caplog.text
