"""Settings: provider credentials are checked with the provider before they are stored, stored
encrypted, never shown back, and then used to send; sender, quiet hours and the cap are validated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses

from app.db.models import Message, Shop
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.fake_sendgrid import HANG_UP, FakeSendGrid, unused_port
from tests.support.store import abandon_checkout

SHOP_KEY = "SG.shop-own-key-0123456789"
TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "shop-twilio-token"
TWILIO_ACCOUNT_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}.json"


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def config_changes(sendgrid):
    return {"sendgrid_api_host": sendgrid.url}


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def twilio_account(status: str = "active") -> dict[str, str]:
    return {"sid": TWILIO_SID, "status": status, "friendly_name": "Alpha SMS"}


def stored(app) -> dict:
    return rows(app, Shop)[0].settings


def test_a_sendgrid_key_is_checked_stored_encrypted_and_never_shown(app, client, shop, sendgrid):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_KEY}
    )

    assert response.status_code == 303
    (check,) = sendgrid.requests
    assert (check.method, check.path, check.headers["Authorization"]) == (
        "GET",
        "/v3/scopes",
        f"Bearer {SHOP_KEY}",
    )
    saved = stored(app)["providers"]["sendgrid"]
    assert SHOP_KEY not in str(saved)
    assert app.extensions["storeflow"].cipher.decrypt(saved["api_key"]) == SHOP_KEY
    page = client.get("/admin/settings").text
    assert SHOP_KEY not in page and saved["api_key"] not in page
    assert "Your API key is saved" in page


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (401, "SendGrid did not accept this API key"),
        ("no-mail-send", "This SendGrid key cannot send email"),
        (HANG_UP, "Could not reach SendGrid"),
        (503, "SendGrid answered 503"),
    ],
)
def test_a_sendgrid_key_that_fails_its_check_is_not_stored(app, client, shop, sendgrid, answer, message):
    if answer == "no-mail-send":
        sendgrid.scopes = ("stats.read",)
    else:
        sendgrid.respond_with(answer)
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_KEY}
    )

    assert response.status_code == 400
    assert message in response.text
    assert "providers" not in stored(app)


def test_an_unreachable_sendgrid_is_reported(app, client, shop):
    app.extensions["storeflow"].config = app.extensions["storeflow"].config.replace(
        sendgrid_api_host=f"http://127.0.0.1:{unused_port()}"
    )
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_KEY}
    )

    assert "Could not reach SendGrid" in response.text


def test_the_shops_own_key_and_sender_send_its_flows(app, client, harness, factory, shop, sendgrid):
    # given a shop that connected its SendGrid account and set its sender
    factory.enable(shop, "abandoned_checkout")
    csrf = log_in(client, shop.id)
    client.post("/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_KEY})
    client.post(
        "/admin/settings/sender",
        data={"csrf_token": csrf, "sender_name": "Alpha Team", "sender_address": "hello@alpha.example"},
    )

    # when its abandoned checkout email is due
    abandon_checkout(client, harness)
    harness.advance(timedelta(hours=1))

    # then it goes through the shop's account, from the shop's sender
    send = sendgrid.requests[-1]
    assert (send.path, send.headers["Authorization"]) == ("/v3/mail/send", f"Bearer {SHOP_KEY}")
    assert send.mail["from"] == {"email": "hello@alpha.example", "name": "Alpha Team"}
    assert rows(app, Message)[0].provider == "sendgrid"


def test_removing_the_key_forgets_it(app, client, shop, sendgrid):
    csrf = log_in(client, shop.id)
    client.post("/admin/settings/sendgrid", data={"csrf_token": csrf, "sendgrid_api_key": SHOP_KEY})

    client.post("/admin/settings/sendgrid", data={"csrf_token": csrf, "action": "remove"})

    assert "providers" not in stored(app)


def test_a_twilio_account_is_fetched_before_it_is_stored(app, client, shop, twilio):
    twilio.get(TWILIO_ACCOUNT_URL, json=twilio_account())
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/twilio",
        data={
            "csrf_token": csrf,
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_from_number": "+1 613 555 0123",
        },
    )

    assert response.status_code == 303
    assert twilio.calls[0].request.headers["Authorization"].startswith("Basic ")
    saved = stored(app)["providers"]["twilio"]
    assert (saved["account_sid"], saved["from_number"]) == (TWILIO_SID, "+16135550123")
    assert app.extensions["storeflow"].cipher.decrypt(saved["auth_token"]) == TWILIO_TOKEN
    assert TWILIO_TOKEN not in client.get("/admin/settings").text


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"code": 20003, "message": "Authenticate", "status": 401}, "did not accept this Account SID"),
        (200, twilio_account("suspended"), "This Twilio account is suspended"),
        (500, {"code": 20500, "message": "Internal", "status": 500}, "Twilio answered 500"),
    ],
)
def test_a_twilio_account_that_fails_its_check_is_not_stored(
    app, client, shop, twilio, status, body, message
):
    twilio.get(TWILIO_ACCOUNT_URL, json=body, status=status)
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/twilio",
        data={
            "csrf_token": csrf,
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": "x",
            "twilio_from_number": "+16135550123",
        },
    )

    assert response.status_code == 400
    assert message in response.text
    assert "providers" not in stored(app)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"twilio_account_sid": "AC123"}, "starts with AC"),
        ({"twilio_account_sid": TWILIO_SID}, "Enter the auth token of this account"),
        ({"twilio_account_sid": TWILIO_SID, "twilio_auth_token": "t"}, "Enter the number SMS come from"),
        (
            {"twilio_account_sid": TWILIO_SID, "twilio_auth_token": "t", "twilio_from_number": "12"},
            "is not a phone number",
        ),
    ],
)
def test_twilio_fields_are_checked_before_calling_twilio(app, client, shop, twilio, form, message):
    csrf = log_in(client, shop.id)

    response = client.post("/admin/settings/twilio", data={"csrf_token": csrf, **form})

    assert response.status_code == 400
    assert message in response.text
    assert len(twilio.calls) == 0


def test_a_blank_auth_token_keeps_the_saved_one(app, client, shop, twilio):
    twilio.get(TWILIO_ACCOUNT_URL, json=twilio_account())
    csrf = log_in(client, shop.id)
    form = {"csrf_token": csrf, "twilio_account_sid": TWILIO_SID, "twilio_from_number": "+16135550123"}
    client.post("/admin/settings/twilio", data={**form, "twilio_auth_token": TWILIO_TOKEN})

    response = client.post("/admin/settings/twilio", data={**form, "twilio_from_number": "+16135550199"})

    assert response.status_code == 303
    saved = stored(app)["providers"]["twilio"]
    assert saved["from_number"] == "+16135550199"
    assert app.extensions["storeflow"].cipher.decrypt(saved["auth_token"]) == TWILIO_TOKEN


def test_a_sender_address_must_be_an_email_address(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post("/admin/settings/sender", data={"csrf_token": csrf, "sender_address": "alpha"})

    assert response.status_code == 400
    assert "is not an email address" in response.text
    assert "sender" not in stored(app)


def test_quiet_hours_and_the_cap_are_stored(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/limits",
        data={
            "csrf_token": csrf,
            "quiet_start": "21:00",
            "quiet_end": "08:00",
            "smart_hours": "24",
            "cap_messages": "2",
            "cap_days": "1",
        },
    )

    assert response.status_code == 303
    settings = stored(app)
    assert settings["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    assert settings["smart_sending"] == {"hours": 24}
    assert settings["frequency_cap"] == {"messages": 2, "days": 1}
    assert ">Enforced<" in client.get("/admin/settings").text


def test_the_contact_budget_flow_priority_and_store_check_are_stored(app, client, shop):
    csrf = log_in(client, shop.id)
    order = ["catalogue", "recovery", "lifecycle", "browsing", "winback"]

    response = client.post(
        "/admin/settings/limits",
        data={
            "csrf_token": csrf,
            "budget_messages": "2",
            "smart_hours": "24",
            **{f"priority_{n}": group for n, group in enumerate(order, 1)},
            "store_unreachable": "skip",
        },
    )

    assert response.status_code == 303
    settings = stored(app)
    assert settings["smart_sending"] == {"hours": 24, "messages": 2}
    assert settings["flow_priority"] == {"order": order}
    assert settings["store_check"] == {"unreachable": "skip"}
    page = client.get("/admin/settings").text
    assert '<option value="catalogue" selected>' in page.split('id="priority_1"')[1].split("</select>")[0]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"quiet_start": "21:00"}, "two times of day"),
        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "two times of day"),
        ({"quiet_start": "08:00", "quiet_end": "08:00"}, "different times"),
        ({"cap_messages": "0", "cap_days": "1"}, "1 to 20 messages per 1 to 30 days"),
        ({"cap_messages": "3"}, "1 to 20 messages per 1 to 30 days"),
        ({"smart_hours": "200"}, "The contact budget window is 0 to 168 hours (0 turns it off)"),
        ({"smart_hours": "-1"}, "The contact budget window is 0 to 168 hours (0 turns it off)"),
        ({"budget_messages": "0"}, "The contact budget is 1 to 10 messages per window"),
        ({"budget_messages": "two"}, "The contact budget is 1 to 10 messages per window"),
        (
            {f"priority_{n}": group for n, group in enumerate(["recovery"] * 5, 1)},
            "Rank each group of flows exactly once",
        ),
        ({"priority_1": "browsing"}, "Rank each group of flows exactly once"),
        ({"store_unreachable": "maybe"}, "choose to send the message or to skip it"),
    ],
)
def test_unusable_limits_are_refused(app, client, shop, form, message):
    csrf = log_in(client, shop.id)

    response = client.post("/admin/settings/limits", data={"csrf_token": csrf, **form})

    assert response.status_code == 400
    assert message in response.text
    assert "quiet_hours" not in stored(app)


def test_empty_limits_fall_back_to_the_defaults(app, client, shop):
    csrf = log_in(client, shop.id)
    client.post(
        "/admin/settings/limits", data={"csrf_token": csrf, "quiet_start": "21:00", "quiet_end": "08:00"}
    )

    client.post("/admin/settings/limits", data={"csrf_token": csrf})

    assert "quiet_hours" not in stored(app)
