"""Bad input and abuse at every public door: no 5xx, no header or markup injection, no replays, no
secrets in logs or in clear in the database, and limits on what an anonymous caller can make us do.
See SECURITY.md for the threat model these tests pin down.
"""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses
from sqlalchemy import text

from app.channels.headers import single_line
from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.channels.twilio_sms import TwilioChannel
from app.db import Base, db
from app.db.models import Contact, Enrollment, Message, MessageEvent, StorefrontEvent, WebhookEvent
from app.messaging.links import click_url
from app.web.install.saleor import REGISTRATIONS_PER_MINUTE
from app.web.messages.clicks import CLICKS_PER_MINUTE
from tests.support.admin import log_in
from tests.support.db import count, rows
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.messages import sent_message
from tests.support.saleor import ALLOWLIST, API_URL, AUTH_TOKEN, who_am_i
from tests.support.shopify import TEST_SECRET, deliver
from tests.support.store import abandon_checkout, checkout_payload
from tests.support.storefront import STOREFRONT, batch, drain, queued
from tests.support.storefront import post as storefront_post
from tests.support.twilio_requests import post_signed, status_params

ROOT = Path(__file__).resolve().parents[1]
SENDGRID_KEY = "SG.deployment-key-never-logged-0123"
SHOP_SENDGRID_KEY = "SG.shop-own-key-never-logged-4567"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token-never-logged"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
HOUR = timedelta(hours=1)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def config_changes(sendgrid: FakeSendGrid) -> dict[str, object]:
    return {
        "saleor_allowed_api_urls": ALLOWLIST,
        "sendgrid_api_host": sendgrid.url,
        "twilio_auth_token": "test-auth-token",
    }


@pytest.fixture
def channels(sendgrid: FakeSendGrid) -> ChannelSet:
    return ChannelSet(
        email=SendGridChannel(SENDGRID_KEY, host=sendgrid.url),
        sms=TwilioChannel(TWILIO_SID, TWILIO_TOKEN, from_number="+15005550006"),
    )


@pytest.fixture
def shop(factory):
    shop = factory.shop(name="Demo Shop")
    factory.enable(shop, "abandoned_checkout")
    return shop


# --- hostile bodies at every public POST ----------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE_BODIES = {
    "deeply nested JSON": (DEEP, "application/json"),
    "invalid UTF-8": (b'{"a": "\xff\xfe\xfd"}', "application/json"),
    "a form where JSON belongs": (b"a=1&b=%ff", "application/x-www-form-urlencoded"),
    "binary": (bytes(range(256)) * 4, "application/octet-stream"),
    "empty": (b"", "application/json"),
    "NUL bytes": (b'{"a": "\x00"}', "text/plain"),
}
PUBLIC_POSTS = (
    "/webhooks/shopify",
    "/webhooks/saleor",
    "/webhooks/sendgrid",
    "/webhooks/twilio/status?ref=1",
    "/webhooks/twilio/inbound",
    "/storefront/events?k=unknown-key",
    "/saleor/register",
    "/u/not-a-token",
)


@pytest.mark.parametrize("path", PUBLIC_POSTS)
@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=str)
def test_hostile_bodies_never_get_a_server_error(client, shop, path, body):
    raw, content_type = HOSTILE_BODIES[body]
    headers = {"Content-Type": content_type, "Saleor-Api-Url": API_URL, "X-Shopify-Topic": "orders/paid"}

    response = client.post(path, data=raw, headers=headers)

    assert 400 <= response.status_code < 500, response.data[:200]


@pytest.mark.parametrize("path", [p for p in PUBLIC_POSTS if not p.startswith("/u/")])  # /u/ reads none
def test_oversize_bodies_are_refused_with_413(app, client, shop, path):
    limit = app.extensions["storeflow"].config.webhook_max_bytes

    response = client.post(path, data=b"x" * (limit + 1), headers={"Content-Type": "application/json"})

    assert response.status_code == 413


# --- injection through what shoppers and merchants type --------------------------------------------


def test_a_name_carrying_a_header_break_stays_in_the_subject_line(app, client, harness, shop, sendgrid):
    customer = checkout_payload(harness.clock)["customer"]
    abandon_checkout(client, harness, customer={**customer, "first_name": "John\r\nBcc: all@evil.test"})

    harness.advance(HOUR)

    (mail,) = sendgrid.requests
    subject = mail.mail["subject"]
    assert "\r" not in subject and "\n" not in subject
    assert subject.startswith("John Bcc: all@evil.test")
    assert all("\n" not in value for value in mail.mail["headers"].values())


@pytest.mark.parametrize("value", ["a\r\nb", "a\nb", "a\u2028b", "a\x00b", "a\tb"])
def test_control_characters_never_reach_an_email_header(value):
    assert single_line(value) == "a b"


def test_a_script_in_a_product_title_is_escaped_in_the_email_and_the_admin(
    app, client, harness, shop, sendgrid
):
    item = checkout_payload(harness.clock)["line_items"][0]
    item["title"] = "<script>alert('pwned')</script>"
    abandon_checkout(client, harness, line_items=[item])
    harness.advance(HOUR)

    html = next(p["value"] for p in sendgrid.requests[0].mail["content"] if p["type"] == "text/html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    (message,) = rows(app, Message)
    log_in(client, shop.id)
    page = client.get(f"/admin/messages/{message.id}").text
    assert "<script>alert" not in page
    assert 'sandbox=""' in page  # the email preview runs no script even if one got through


# --- replays --------------------------------------------------------------------------------------


def test_a_replayed_signed_checkout_under_a_new_event_id_changes_nothing(
    app, client, harness, shop, sendgrid
):
    # given a signed delivery that was processed and sent its reminder
    body = json.dumps(checkout_payload(harness.clock)).encode()
    assert deliver(client, "checkouts/create", body).status_code == 200
    harness.drain()
    harness.advance(HOUR)

    # when someone who captured it replays it a day later with a fresh event id (headers are unsigned)
    harness.advance(timedelta(days=1))
    assert deliver(client, "checkouts/create", body, event_id="replayed").json["status"] == "stored"
    harness.advance(timedelta(days=2))

    # then it is stored but settles nothing new: one enrollment, no reminder sent twice
    assert count(app, Enrollment) == 1
    assert [m.template for m in rows(app, Message, status="sent")] == [
        "abandoned_checkout_1",
        "abandoned_checkout_2",
    ]


# --- rate limits ----------------------------------------------------------------------------------


def test_clicks_on_one_message_are_recorded_up_to_the_limit_and_always_redirected(
    app, client, factory, clock
):
    shop = factory.shop(storefront_url="https://shop.example")
    contact = factory.contact(shop, email="jane@example.com")
    message = sent_message(db.session, shop, contact, clock.now(), links=["https://shop.example/p"])
    path = urlsplit(click_url("https://storeflow.test", "test-secret-key", message.id, 0)).path

    answers = [client.get(path).status_code for _ in range(CLICKS_PER_MINUTE + 5)]

    assert answers == [302] * (CLICKS_PER_MINUTE + 5)
    assert count(app, MessageEvent) == CLICKS_PER_MINUTE


def test_install_attempts_for_one_instance_are_limited_before_it_is_called(app, client):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as saleor:
        check = saleor.post(API_URL, status=401, json={"errors": [{"message": "bad token"}]})
        spellings = [API_URL, API_URL.rstrip("/"), API_URL.upper().replace("/GRAPHQL/", "/graphql/")]
        answers = [
            client.post(
                "/saleor/register",
                json={"auth_token": AUTH_TOKEN},
                headers={"Saleor-Api-Url": spellings[n % len(spellings)]},
            )
            for n in range(REGISTRATIONS_PER_MINUTE + 3)
        ]

    assert [a.status_code for a in answers] == [401] * REGISTRATIONS_PER_MINUTE + [429] * 3
    assert answers[-1].headers["Retry-After"] == "60"
    assert check.call_count == REGISTRATIONS_PER_MINUTE


def test_a_limiter_without_redis_lets_clicks_through(app, postgres_url, clock, factory):
    from app.web.factory import create_app
    from tests.conftest import test_config
    from tests.support.fake_sendgrid import unused_port

    down = create_app(
        test_config(postgres_url, redis_url=f"redis://127.0.0.1:{unused_port()}/0"), clock=clock
    )
    shop = factory.shop()
    contact = factory.contact(shop, email="jane@example.com")
    message = sent_message(db.session, shop, contact, clock.now(), links=["https://shop.example/p"])
    path = urlsplit(click_url("https://storeflow.test", "test-secret-key", message.id, 0)).path

    response = down.test_client().get(path)

    assert response.status_code == 302
    assert count(app, MessageEvent) == 1
    down.extensions["storeflow"].close()


# --- secrets ---------------------------------------------------------------------------------------


def test_secrets_are_never_logged_and_never_stored_in_clear(app, client, harness, shop, sendgrid, caplog):
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as remote:
        remote.post(API_URL, json=who_am_i())
        remote.post(TWILIO_URL, status=201, json={"sid": "SM" + "e" * 32, "status": "queued"})
        # a Saleor install (its app token), a merchant's own SendGrid key, signed Shopify webhooks,
        # and sends through SendGrid and Twilio with the deployment's credentials
        installed = client.post(
            "/saleor/register", json={"auth_token": AUTH_TOKEN}, headers={"Saleor-Api-Url": API_URL}
        )
        assert installed.status_code == 200
        csrf = log_in(client, shop.id)
        saved = client.post(
            "/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_SENDGRID_KEY}
        )
        assert saved.status_code == 303
        abandon_checkout(
            client, harness, buyer_accepts_sms_marketing=True, sms_marketing_phone="+16135551111"
        )
        harness.advance(HOUR)
        harness.advance(3 * HOUR)

    secrets = [AUTH_TOKEN, SHOP_SENDGRID_KEY, TWILIO_TOKEN, TEST_SECRET, "test-secret-key"]
    logged = caplog.text
    assert [s for s in secrets if s in logged] == []
    assert count(app, Message, status="sent") == 2
    assert sendgrid.sends[0].headers["Authorization"] == f"Bearer {SHOP_SENDGRID_KEY}"
    stored = _every_row_as_text(app)
    assert [s for s in (AUTH_TOKEN, SHOP_SENDGRID_KEY) if s in stored] == []


def _every_row_as_text(app) -> str:
    with app.app_context():
        tables = [t.name for t in Base.metadata.sorted_tables]
        return "\n".join(
            str(row[0])
            for table in tables
            for row in db.session.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))
        )


# --- comparisons of secrets -------------------------------------------------------------------------

SECRET_WORDS = ("signature", "hmac", "digest", "secret", "password", "api_key", "auth_token", "csrf")


def test_no_secret_is_compared_with_equals_anywhere():
    """Every signature, HMAC or token check uses hmac.compare_digest or a library's verify."""
    offenders = []
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("webhooks/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare) or not any(
                isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
            ):
                continue
            parts = (node.left, *node.comparators)
            if any(isinstance(part, ast.Constant) for part in parts):
                continue  # a name or a count compared with a literal, not a secret with a secret
            if any(word in ast.unparse(part).lower() for part in parts for word in SECRET_WORDS):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


# --- found by fuzzing: each once took a pipeline down or answered 500 -------------------------------


def test_a_storefront_post_with_a_nul_is_stored_without_it_so_it_cannot_block_the_queue(app, client, factory):
    shop = factory.shop(storefront_url=STOREFRONT)

    search = {"type": "search_submitted", "search_query": "a\u0000b"}

    response = storefront_post(client, shop.storefront_key, batch(None, search))
    drain(app)

    assert response.status_code == 202
    assert [event.search_query for event in rows(app, StorefrontEvent)] == ["ab"]


def test_a_storefront_post_with_another_control_character_is_refused(app, client, factory):
    shop = factory.shop(storefront_url=STOREFRONT)
    search = {"type": "search_submitted", "search_query": "a\u0007b"}

    response = storefront_post(client, shop.storefront_key, batch(None, search))

    assert response.status_code == 400
    assert queued(app) == 0


def test_a_storefront_event_whose_type_is_not_text_is_refused(app, client, factory):
    shop = factory.shop(storefront_url=STOREFRONT)

    response = storefront_post(client, shop.storefront_key, batch(None, {"type": []}))

    assert response.status_code == 400


def test_a_checkout_naming_its_shopper_with_a_nul_is_processed_without_it(app, client, harness, shop):
    customer = checkout_payload(harness.clock)["customer"]

    abandon_checkout(client, harness, customer={**customer, "first_name": "Jo\u0000hn"})

    (event,) = rows(app, WebhookEvent)
    assert event.status == "processed"
    assert [c.first_name for c in rows(app, Contact)] == ["John"]


def test_provider_reports_carrying_nuls_are_recorded_not_refused_forever(app, client, factory, clock):
    shop = factory.shop()
    contact = factory.contact(shop, email="jane@example.com", phone="+16135551111")
    sms = sent_message(db.session, shop, contact, clock.now(), channel="sms", provider_message_id="SMx")
    params = {**status_params("SMx", "undelivered"), "ErrorCode": "300\u000005"}

    response = post_signed(client, f"/webhooks/twilio/status?ref={sms.id}", params)

    assert response.status_code == 204
    assert [e.detail for e in rows(app, MessageEvent)] == ["undelivered (error 30005)"]


@pytest.mark.parametrize("api_url", ["https://[", "https://[]/graphql/", "http://[::1"])
def test_an_unparseable_saleor_api_url_is_refused_not_crashed_on(client, api_url):
    webhook = client.post("/webhooks/saleor", data=b"{}", headers={"Saleor-Api-Url": api_url})
    install = client.post("/saleor/register", json={"auth_token": "t"}, headers={"Saleor-Api-Url": api_url})

    assert (webhook.status_code, install.status_code) == (401, 400)
