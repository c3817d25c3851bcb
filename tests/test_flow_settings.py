"""A merchant's tuning of flows: every new flow and setting shows up in the admin and is editable there,
bad values are refused with a message that says what to write, and stale stored values never break
a running enrollment."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest

from app.db.models import FlowSetting
from flows.catalogue import CATALOGUE, get_flow
from flows.definitions import TRIGGER_PARAM
from flows.settings import FlowSettingsError, resolve, validate_overrides
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.outbox import sent
from tests.support.stores import ShopifyStore, Shopper


@pytest.fixture
def shop(factory):
    return factory.shop()


def form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "params_shown": "1", **fields}


@pytest.mark.parametrize("flow_key", list(CATALOGUE))
def test_every_flow_has_a_detail_page_with_its_settings(client, shop, flow_key):
    log_in(client, shop.id)
    flow = CATALOGUE[flow_key]

    page = unescape(client.get(f"/admin/flows/{flow_key}").text)

    assert flow.name in page
    for param in flow.params:
        assert f'name="param_{param.setting}"' in page
        assert param.label in page
    for step in flow.switchable():
        assert f'name="condition_{step.setting}"' in page


def test_settings_conditions_and_the_ab_share_are_saved_from_the_form(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series",
        data=form(
            csrf,
            enabled="on",
            confirmed="yes",
            step_welcome_email="on",
            step_discount_email="on",
            param_discount="on",
            param_discount_percent="20",
            param_discount_days="7",
            param_brand_story="Two friends, one loom.",
            param_smart_sending="defer",
            condition_discount_email="order_count = 0 and country in US, CA",
        ),
    )

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["params"] == {
        "discount": True,
        "discount_percent": 20,
        "discount_days": 7,
        "brand_story": "Two friends, one loom.",
        "smart_sending": "defer",
    }
    assert setting.overrides["conditions"]["discount_email"] == "order_count = 0 and country in US, CA"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("param_discount_percent", "95", "Discount (percent): must be between 1 and 90"),
        ("param_discount_days", "two weeks", "Code valid for (days): 'two weeks' is not a whole number"),
        ("param_smart_sending", "sometimes", "Smart sending: choose one of skip, defer, off"),
        (
            "condition_discount_email",
            "orders = 0",
            "First-order discount (only to shoppers who have not ordered): condition refused: "
            "unknown property 'orders'",
        ),
        (
            "condition_discount_email",
            "country > US",
            "condition refused: '>' does not apply to country (word); use = or != or in",
        ),
        (
            "condition_discount_email",
            "total_spent >= lots",
            "condition refused: total_spent compares with a number, not 'lots'",
        ),
        ("delay_discount_delay", "0.01", "Wait before the discount: must be between 1 hour and 90 days"),
    ],
)
def test_a_bad_value_is_refused_with_a_clear_message_and_nothing_is_stored(
    app, client, shop, field, value, message
):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series", data=form(csrf, enabled="on", confirmed="yes", **{field: value})
    )

    assert response.status_code == 400
    assert message in unescape(response.text)
    assert rows(app, FlowSetting) == []


@pytest.mark.parametrize(
    ("flow_key", "field", "value", "message"),
    [
        (
            "replenishment",
            "param_products",
            "coffee beans",
            "line 1: write a product id, a colon and the days",
        ),
        ("replenishment", "param_products", "632910392: 400", "line 1: days must be between 1 and 365"),
        ("date_based", "param_dates", "02-30: Nope", "line 1: 02-30 is not a day of the year"),
        (
            "product_usage_tips",
            "param_tips",
            "shirt: iron it",
            "line 1: start with 'product ID:' or 'collection NAME:'",
        ),
        (
            "post_purchase_survey",
            "param_survey_url",
            "forms.example/x",
            "is not a web link (it starts with https://)",
        ),
        ("vip", "param_vip_spend", "a lot", "'a lot' is not an amount"),
    ],
)
def test_list_and_link_settings_are_checked_line_by_line(app, client, shop, flow_key, field, value, message):
    csrf = log_in(client, shop.id)

    response = client.post(f"/admin/flows/{flow_key}", data=form(csrf, **{field: value}))

    assert response.status_code == 400
    assert message in unescape(response.text)


def test_list_settings_are_stored_parsed_and_shown_as_written(app, client, shop):
    csrf = log_in(client, shop.id)

    client.post(
        "/admin/flows/date_based", data=form(csrf, param_dates="11-27: Black Friday\r\n12-24: Christmas Eve")
    )
    page = client.get("/admin/flows/date_based").text

    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["params"]["dates"] == [
        {"date": "11-27", "name": "Black Friday"},
        {"date": "12-24", "name": "Christmas Eve"},
    ]
    assert "11-27: Black Friday\n12-24: Christmas Eve</textarea>" in page


def test_validation_names_the_setting_that_does_not_exist():
    with pytest.raises(FlowSettingsError, match="Welcome series: there is no setting called 'colour'"):
        validate_overrides(get_flow("welcome_series"), {}, {}, {"colour": "red"})


def test_stale_stored_values_fall_back_to_the_defaults():
    flow = get_flow("welcome_series")

    settings = resolve(
        flow,
        True,
        {
            "params": {"discount_percent": "lots", "retired": 1},
            "conditions": {"discount_email": "orders = 0"},
            "ab": {"discount_email": 400},
        },
    )

    assert settings.param("discount_percent") == 10
    assert settings.condition(flow.sends()[1]).always
    assert settings.ab_percent["discount_email"] == 50


def test_a_condition_saved_while_shoppers_wait_applies_to_their_next_step(app, client, factory, harness):
    store = ShopifyStore(client, harness)
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    start = harness.clock.now()
    store.subscribe(Shopper("ann@example.com", "Ann", "1001"))
    csrf = log_in(client, shop.id)

    client.post(
        "/admin/flows/welcome_series",
        data=form(
            csrf,
            enabled="on",
            confirmed="yes",
            step_welcome_email="on",
            step_discount_email="on",
            step_preferences_email="on",
            condition_discount_email="country = FR",
            param_discount="on",
            param_discount_percent="10",
            param_discount_days="14",
            param_smart_sending="skip",
        ),
    )
    harness.advance_to(start + timedelta(days=1))

    assert [template for _, _, template, _ in sent(app, start)] == ["welcome_1"]


def test_the_flow_detail_shows_each_ab_variant_and_its_template(client, shop):
    log_in(client, shop.id)

    page = unescape(client.get("/admin/flows/welcome_series/steps/discount_email_b").text)

    assert "A/B test · Running" in page
    assert "First-order discount (only to shoppers who have not ordered), variant B" in page
    assert "this is just for you" in page


@pytest.mark.parametrize(
    ("platform", "chosen", "starts"),
    [("shopify", "order.paid", "an order is paid"), ("saleor", "order.placed", "an order is placed")],
)
def test_the_thank_you_page_shows_the_platforms_default_moment(client, factory, platform, chosen, starts):
    shop = factory.shop(platform=platform, domain=f"{platform}.example")
    log_in(client, shop.id)

    page = unescape(client.get("/admin/flows/thank_you").text)

    assert f'<option value="{chosen}" selected>' in page
    assert f'Starts when</span><span class="cell-sub">{starts}</span>' in page


def test_a_saved_thank_you_moment_wins_over_the_platforms_default(app, client, factory):
    shop = factory.shop(platform="saleor", domain="https://demo.saleor.test/graphql/")
    csrf = log_in(client, shop.id)

    client.post(
        "/admin/flows/thank_you", data=form(csrf, enabled="on", confirmed="yes", param_trigger="order.paid")
    )

    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["params"]["trigger"] == "order.paid"
    page = unescape(client.get("/admin/flows/thank_you").text)
    assert '<option value="order.paid" selected>' in page


def test_a_flow_that_lets_the_merchant_choose_its_trigger_offers_only_its_own_triggers():
    for flow in CATALOGUE.values():
        choice = flow.param(TRIGGER_PARAM)
        if choice is not None:
            offered = {value for value, _ in choice.choices}
            assert offered == {kind.value for kind in flow.triggers}, flow.key
            assert flow.entry == "chosen_trigger", flow.key
            for _, default in choice.platform_defaults:
                assert default in offered, flow.key
