"""Signup forms: a design is checked whole, a submission is checked against it, a signup lands in
the contact and the consent ledger with the form as its source, and the storefront doors refuse
what they must with a clear 4xx."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.db import db
from app.db.models import ConsentChange, Contact, FormSubmission, Shop, SignupForm, Visitor
from app.db.models.forms import DRAFT, LIVE
from app.forms.design import FormDesign, FormDesignError, contrast_ratio, read_design
from app.forms.reports import form_figures, list_growth, source_group
from app.forms.submission import BotSubmission, SubmissionError, read_submission
from tests.support.admin import log_in
from tests.support.db import count, rows, watching_statements
from tests.support.outbox import sent
from tests.support.storefront import STOREFRONT

WITH_EVERYTHING = read_design(
    {
        "fields": [
            {"name": "email", "required": True},
            {"name": "phone"},
            {"name": "first_name", "required": True},
            {"name": "birthday"},
        ],
        "sms_wording": "Text me offers. Msg & data rates may apply. Reply STOP to stop.",
    }
)


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
DESIGN_KEYS = ("kind", "title", "fields", "sms_wording", "discount", "mobile", "rules", "style")
SUBMISSION_KEYS = ("email", "phone", "first_name", "birthday", "sms_consent", "website")


# The design


def test_a_design_with_no_settings_is_the_default_popup_asking_for_an_email():
    design = read_design({})

    assert design == FormDesign()
    assert design.kind == "popup" and design.required("email")


def test_every_problem_of_a_design_is_named_at_once():
    with pytest.raises(FormDesignError) as refused:
        read_design(
            {
                "kind": "banner",
                "title": "",
                "rules": {"delay_seconds": -1, "include": ["products/*"]},
                "style": {"text": "red"},
            }
        )

    assert set(refused.value.errors) == {
        "kind",
        "title",
        "rules.delay_seconds",
        "rules.include",
        "style.text",
    }


def test_text_that_would_fail_wcag_aa_contrast_is_refused():
    with pytest.raises(FormDesignError) as refused:
        read_design({"style": {"background": "#ffffff", "text": "#aaaaaa"}})

    assert "below 4.5:1" in refused.value.errors["style.text"]


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_a_form_asking_for_a_phone_needs_the_sms_wording():
    with pytest.raises(FormDesignError) as refused:
        read_design({"fields": [{"name": "email"}, {"name": "phone"}]})

    assert set(refused.value.errors) == {"sms_wording"}


def test_the_merchant_words_each_fields_label():
    design = read_design({"fields": [{"name": "email", "label": "Adresse e-mail"}, {"name": "first_name"}]})

    assert [(f.name, f.label) for f in design.fields] == [
        ("email", "Adresse e-mail"),
        ("first_name", "First name"),
    ]
    with pytest.raises(FormDesignError) as refused:
        read_design({"fields": [{"name": "email", "label": ""}]})
    assert set(refused.value.errors) == {"label.email"}


def test_the_email_field_is_always_there_and_required():
    with pytest.raises(FormDesignError):
        read_design({"fields": [{"name": "first_name"}]})
    assert read_design({"fields": [{"name": "email", "required": False}]}).required("email")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(DESIGN_KEYS), JSON))
def test_any_json_design_is_read_or_refused_by_name_never_crashes(raw):
    try:
        read_design(raw)
    except FormDesignError as exc:
        assert exc.errors


# The submission


def test_every_field_error_is_reported_at_once():
    with pytest.raises(SubmissionError) as refused:
        read_submission(WITH_EVERYTHING, {"email": "not-an-address", "phone": "12", "birthday": "13-40"})

    assert set(refused.value.errors) == {"email", "phone", "first_name", "birthday"}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(SUBMISSION_KEYS), JSON))
def test_any_json_submission_is_read_or_refused_by_field_never_crashes(body):
    try:
        read_submission(WITH_EVERYTHING, body)
    except SubmissionError as exc:
        assert set(exc.errors) <= set(SUBMISSION_KEYS)
    except BotSubmission:
        assert body.get("website")


def test_a_valid_submission_is_normalized():
    submission = read_submission(
        WITH_EVERYTHING,
        {
            "email": " Ann@Example.COM ",
            "phone": "+1 415 555 2671",
            "first_name": "Ann",
            "birthday": "1990-04-23",
            "sms_consent": True,
        },
    )

    assert (submission.email, submission.phone, submission.birthday) == (
        "ann@example.com",
        "+14155552671",
        "04-23",
    )
    assert submission.sms_consent


def test_a_number_without_its_country_code_is_read_in_the_browsers_region():
    body = {"email": "a@b.co", "first_name": "A", "phone": "(415) 555-2671"}

    assert read_submission(WITH_EVERYTHING, {**body, "country": "US"}).phone == "+14155552671"
    with pytest.raises(SubmissionError):
        read_submission(WITH_EVERYTHING, {**body, "country": "us; drop"})


def test_a_leap_day_is_a_birthday():
    assert (
        read_submission(WITH_EVERYTHING, {"email": "a@b.co", "first_name": "A", "birthday": "02-29"}).birthday
        == "02-29"
    )


def test_wrong_types_are_field_errors_not_crashes():
    with pytest.raises(SubmissionError) as refused:
        read_submission(WITH_EVERYTHING, {"email": ["a@b.co"], "first_name": 7, "sms_consent": "yes"})

    assert set(refused.value.errors) == {"email", "first_name", "sms_consent"}


def test_a_filled_honeypot_is_a_bot():
    with pytest.raises(BotSubmission):
        read_submission(FormDesign(), {"email": "a@b.co", "website": "http://spam.example"})


def test_fields_the_form_does_not_ask_for_are_ignored():
    submission = read_submission(
        FormDesign(), {"email": "a@b.co", "first_name": "Mallory", "phone": "+14155552671"}
    )

    assert (submission.first_name, submission.phone) == (None, None)


# The storefront doors

ANN = "ann@example.com"


@pytest.fixture
def shop(factory) -> Shop:
    return factory.shop(storefront_url=STOREFRONT)


def make_form(app, shop: Shop, status: str = LIVE, **design: Any) -> int:
    with app.app_context():
        form = SignupForm(
            shop_id=shop.id, name="Welcome popup", status=status, design=read_design(design).as_dict()
        )
        db.session.add(form)
        db.session.commit()
        return form.id


def single_opt_in(app, shop: Shop) -> None:
    with app.app_context():
        stored = db.session.get(Shop, shop.id)
        stored.settings = {**stored.settings, "consent": {"form_opt_in": "single"}}
        db.session.commit()


def post(client, shop: Shop, path: str, body: dict[str, Any] | bytes | None = None, origin: str = STOREFRONT):
    data = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    return client.post(
        f"/storefront/forms{path}?k={shop.storefront_key}",
        data=data,
        headers={"Content-Type": "text/plain", "Origin": origin, "User-Agent": "Mozilla/5.0 (Test)"},
    )


def ticket(client, shop: Shop, form_id: int) -> str:
    response = post(client, shop, f"/{form_id}/view")
    assert response.status_code == 200
    return str(response.json["ticket"])


def submit(client, clock, shop: Shop, form_id: int, **fields: Any):
    shown = ticket(client, shop, form_id)
    clock.advance(timedelta(seconds=10))
    return post(client, shop, f"/{form_id}/submit", {"ticket": shown, "email": ANN, **fields})


def test_the_storefront_gets_the_live_forms_only_with_cors_for_its_origin(app, client, shop):
    live = make_form(app, shop, title="Join us")
    make_form(app, shop, status=DRAFT)

    response = client.get(f"/storefront/forms?k={shop.storefront_key}", headers={"Origin": STOREFRONT})

    assert response.status_code == 200
    assert [form["id"] for form in response.json["forms"]] == [live]
    assert response.json["forms"][0]["design"]["title"] == "Join us"
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert response.json["known_subscriber"] is False


def test_the_list_every_page_asks_for_costs_four_statements_however_many_forms(app, client, factory, shop):
    factory.enable(shop, "welcome_series")
    for _ in range(5):
        make_form(app, shop, discount=True)
    url = f"/storefront/forms?k={shop.storefront_key}&visitor={'v' * 32}"

    with watching_statements(app) as sent:
        response = client.get(url)

    assert len(response.json["forms"]) == 5
    assert len(sent.statements) == 4  # the shop, the welcome series' settings, the forms, the visitor


def test_another_sites_page_gets_no_cors_and_cannot_post(app, client, shop):
    form = make_form(app, shop)

    listed = client.get(f"/storefront/forms?k={shop.storefront_key}", headers={"Origin": "https://evil.test"})
    viewed = post(client, shop, f"/{form}/view", origin="https://evil.test")

    assert "Access-Control-Allow-Origin" not in listed.headers
    assert viewed.status_code == 403
    assert count(app, SignupForm, views=1) == 0


def test_views_past_the_limit_still_get_a_ticket_but_are_not_counted(app, client, shop, monkeypatch):
    monkeypatch.setattr("app.web.storefront.forms.VIEW_ADDRESS_LIMIT", 2)
    form = make_form(app, shop)

    tickets = [ticket(client, shop, form) for _ in range(4)]

    assert all(tickets)
    (stored,) = rows(app, SignupForm)
    assert stored.views == 2


def test_a_view_is_counted_and_answers_a_ticket(app, client, shop):
    form = make_form(app, shop)

    ticket(client, shop, form)
    ticket(client, shop, form)

    (stored,) = rows(app, SignupForm)
    assert stored.views == 2


def test_a_signup_holds_email_pending_and_sends_the_confirmation(app, client, clock, harness, shop):
    form = make_form(app, shop)
    start = clock.now()

    response = submit(client, clock, shop, form)
    harness.drain()

    assert response.status_code == 200
    assert response.json["status"] == "pending" and response.json["confirm"] is True
    (contact,) = rows(app, Contact)
    assert (contact.email, contact.email_consent) == (ANN, "pending")
    (change,) = rows(app, ConsentChange)
    assert (change.source, change.state, change.user_agent) == (
        f"storefront:form:{form}",
        "pending",
        "Mozilla/5.0 (Test)",
    )
    assert change.disclosure_version.startswith("sha256:")
    assert [(flow, template) for flow, _, template, _ in sent(app, start)] == [
        ("double_opt_in", "double_opt_in_1")
    ]


def test_with_single_opt_in_the_signup_subscribes_and_starts_the_welcome_series(
    app, client, clock, harness, factory, shop
):
    factory.enable(shop, "welcome_series")
    single_opt_in(app, shop)
    form = make_form(
        app,
        shop,
        fields=[{"name": "email"}, {"name": "phone"}, {"name": "first_name"}, {"name": "birthday"}],
        sms_wording="Text me offers. Reply STOP to stop.",
    )
    start = clock.now()

    response = submit(
        client,
        clock,
        shop,
        form,
        phone="+1 415 555 2671",
        first_name="Ann",
        birthday="04-23",
        sms_consent=True,
    )
    harness.drain()

    assert response.json["status"] == "subscribed"
    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.sms_consent, contact.phone) == (
        "subscribed",
        "subscribed",
        "+14155552671",
    )
    assert (contact.first_name, contact.birthday) == ("Ann", "04-23")
    assert sorted(change.channel for change in rows(app, ConsentChange)) == ["email", "sms"]
    assert ("welcome_series", "email", "welcome_1", timedelta(seconds=10)) in sent(app, start)


def test_under_double_opt_in_a_ticked_sms_box_is_held_pending(app, client, clock, shop):
    form = make_form(
        app, shop, fields=[{"name": "email"}, {"name": "phone"}], sms_wording="Texts. Reply STOP."
    )

    submit(client, clock, shop, form, phone="+14155552671", sms_consent=True)

    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.sms_consent) == ("pending", "pending")


def test_a_ticket_older_than_a_day_is_refused(app, client, clock, shop):
    form = make_form(app, shop)
    shown = ticket(client, shop, form)
    clock.advance(timedelta(days=1, seconds=1))

    response = post(client, shop, f"/{form}/submit", {"ticket": shown, "email": ANN})

    assert response.status_code == 400 and "expired" in response.json["errors"]["form"]


def test_a_browser_linked_to_a_subscriber_is_known(app, client, factory, shop):
    contact = factory.contact(shop, email=ANN, email_consent="subscribed")
    factory.session.add(
        Visitor(shop_id=shop.id, visitor_key="v" * 32, contact_id=contact.id, linked_by="click")
    )
    factory.session.commit()

    known = client.get(f"/storefront/forms?k={shop.storefront_key}&visitor={'v' * 32}")
    stranger = client.get(f"/storefront/forms?k={shop.storefront_key}&visitor={'w' * 32}")

    assert (known.json["known_subscriber"], stranger.json["known_subscriber"]) == (True, False)


def test_a_form_promising_the_welcome_discount_names_its_percent(app, client, factory, shop):
    factory.enable(shop, "welcome_series")
    make_form(app, shop, discount=True)

    response = client.get(f"/storefront/forms?k={shop.storefront_key}")

    assert response.json["forms"][0]["offer_percent"] == 10


def test_the_welcome_discount_is_not_promised_while_the_series_is_off(app, client, shop):
    make_form(app, shop, discount=True)

    response = client.get(f"/storefront/forms?k={shop.storefront_key}")

    assert response.json["forms"][0]["offer_percent"] is None


def test_a_submission_within_seconds_of_the_view_looks_accepted_and_stores_nothing(app, client, clock, shop):
    form = make_form(app, shop)
    shown = ticket(client, shop, form)

    response = post(client, shop, f"/{form}/submit", {"ticket": shown, "email": ANN})

    assert response.status_code == 200 and response.json["status"] == "pending"
    assert count(app, Contact) == 0


def test_a_filled_honeypot_looks_accepted_and_stores_nothing(app, client, clock, shop):
    form = make_form(app, shop)

    response = submit(client, clock, shop, form, website="http://spam.example")

    assert response.status_code == 200
    assert count(app, Contact) == 0


def test_field_errors_come_back_together_with_400(app, client, clock, shop):
    form = make_form(app, shop, fields=[{"name": "email"}, {"name": "first_name", "required": True}])
    shown = ticket(client, shop, form)
    clock.advance(timedelta(seconds=10))

    response = post(client, shop, f"/{form}/submit", {"ticket": shown, "email": "nope"})

    assert response.status_code == 400
    assert set(response.json["errors"]) == {"email", "first_name"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b"\xff\xfe", 400),
        (b'{"email": "' + b"a" * 5000 + b'"}', 413),
        (json.dumps({"email": ANN, "ticket": "forged"}).encode(), 400),
        (json.dumps({"email": ANN, "ticket": 12}).encode(), 400),
    ],
)
def test_hostile_bodies_get_a_clear_4xx(app, client, shop, body, status):
    form = make_form(app, shop)

    response = post(client, shop, f"/{form}/submit", body)

    assert response.status_code == status
    assert "error" in response.json
    assert count(app, Contact) == 0


def test_unstorable_text_and_far_years_are_taken_safely(app, client, clock, shop):
    form = make_form(app, shop, fields=[{"name": "email"}, {"name": "first_name"}, {"name": "birthday"}])

    first = submit(client, clock, shop, form, first_name="An\ud800n\x00", birthday="0001-04-23")
    second = submit(client, clock, shop, form, email="bo@example.com", first_name="Bo", birthday="9999-12-31")

    assert (first.status_code, second.status_code) == (200, 200)
    assert sorted((c.first_name, c.birthday) for c in rows(app, Contact)) == [
        ("An\ufffdn", "04-23"),
        ("Bo", "12-31"),
    ]


@pytest.mark.parametrize(
    "path", ["/9223372036854775808/submit", "/999999/submit", "/99999999999999999999/view", "/0/view"]
)
def test_unknown_forms_are_404(app, client, shop, path):
    assert post(client, shop, path, {"email": ANN}).status_code == 404


def test_a_draft_form_takes_no_submissions(app, client, shop):
    form = make_form(app, shop, status=DRAFT)

    assert post(client, shop, f"/{form}/view").status_code == 404
    assert post(client, shop, f"/{form}/submit", {"email": ANN}).status_code == 404


def test_a_stored_design_that_no_longer_reads_is_kept_off_the_storefront(app, client, factory, shop):
    factory.session.add(SignupForm(shop_id=shop.id, name="Old", status=LIVE, design={"kind": "banner"}))
    factory.session.commit()
    (form,) = rows(app, SignupForm)

    listed = client.get(f"/storefront/forms?k={shop.storefront_key}")

    assert listed.json["forms"] == []
    assert post(client, shop, f"/{form.id}/submit", {"email": ANN}).status_code == 404


def test_a_ticket_for_another_form_is_refused(app, client, clock, shop):
    first, second = make_form(app, shop), make_form(app, shop)
    shown = ticket(client, shop, first)
    clock.advance(timedelta(seconds=10))

    response = post(client, shop, f"/{second}/submit", {"ticket": shown, "email": ANN})

    assert response.status_code == 400 and "form" in response.json["errors"]


def test_submissions_are_rate_limited_per_address(app, client, clock, shop):
    form = make_form(app, shop)

    statuses = [submit(client, clock, shop, form, email=f"s{i}@example.com").status_code for i in range(7)]

    assert statuses == [200] * 5 + [429] * 2


def test_an_unknown_storefront_key_is_404(client):
    assert client.get("/storefront/forms?k=nope").status_code == 404


def test_a_shoppers_data_export_lists_their_form_submissions(app, client, clock, shop):
    form = make_form(app, shop)
    submit(client, clock, shop, form)
    (contact,) = rows(app, Contact)
    csrf = log_in(client, shop.id)

    response = client.post(f"/admin/contacts/{contact.id}/export", data={"csrf_token": csrf})

    (submitted,) = json.loads(response.data)["form_submissions"]
    assert (submitted["form"], submitted["sms_opt_in"]) == ("Welcome popup", False)


def test_erasing_a_shopper_erases_their_form_submissions(app, client, clock, shop):
    form = make_form(app, shop)
    submit(client, clock, shop, form)
    (contact,) = rows(app, Contact)
    csrf = log_in(client, shop.id)

    client.post(f"/admin/contacts/{contact.id}/erase", data={"csrf_token": csrf, "confirm": "erase"})

    assert count(app, FormSubmission) == 0


# The figures


def test_each_form_reports_views_submissions_rate_and_confirmed_subscribers(app, client, clock, shop):
    single_opt_in(app, shop)
    form = make_form(app, shop)
    submit(client, clock, shop, form)
    submit(client, clock, shop, form, email="bob@example.com")
    ticket(client, shop, form)

    with app.app_context():
        figures = form_figures(db.session(), shop.id)[form]
    assert (figures.views, figures.submissions, figures.subscribers) == (3, 2, 2)
    assert figures.submit_rate == pytest.approx(2 / 3)
    assert count(app, FormSubmission) == 2


def test_list_growth_groups_new_subscribers_by_source(app, client, clock, shop):
    form = make_form(app, shop)
    submit(client, clock, shop, form)

    with app.app_context():
        growth = list_growth(db.session(), shop.id, clock.now() - timedelta(days=30))
    assert growth == [("Signup forms", 1)]


def test_sources_are_grouped_by_their_prefix():
    assert source_group("storefront:form:12") == "Signup forms"
    assert source_group("storefront:notify_form") == "Storefront (notify me, push)"
    assert source_group("shopify:checkout") == "Checkout"
    assert source_group("shopify:customers/update") == "Platform (customer records)"
