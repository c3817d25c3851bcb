"""The signup forms admin: create and edit a form (saved only when its whole design reads), see
each form's figures, preview a draft, and the overview's list growth by source."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db.models import ConsentChange, SignupForm
from app.db.models.forms import DRAFT, LIVE
from app.forms.design import read_design
from tests.support.admin import log_in
from tests.support.db import count, rows


def editor_post(csrf: str, **changes: str) -> dict[str, Any]:
    """What the editor posts for a simple popup, with changes."""
    return {
        "csrf_token": csrf,
        "name": "Welcome popup",
        "kind": "popup",
        "status": LIVE,
        "mobile": "sheet",
        "title": "Join us",
        "body": "News and offers.",
        "button": "Sign up",
        "label.email": "Email",
        "field.first_name": "on",
        "required.first_name": "on",
        "label.first_name": "Prénom",
        "email_wording": "Email me news. Unsubscribe at any time.",
        "sms_wording": "",
        "rules.delay_seconds": "3",
        "rules.scroll_percent": "0",
        "rules.frequency_days": "7",
        "rules.hide_for_subscribers": "on",
        "rules.exclude": "/cart\n/checkout*\n",
        "success_title": "Thanks!",
        "success_message": "Check your inbox.",
        "style.background": "#FFFFFF",
        "style.text": "#1f2933",
        "style.accent": "#1d4ed8",
        "style.button_text": "#ffffff",
        **changes,
    }


@pytest.fixture
def signed_in(client, factory):
    shop = factory.shop()
    return shop, log_in(client, shop.id)


def test_the_list_starts_empty_with_a_way_to_create_one(client, signed_in):
    page = client.get("/admin/forms")

    assert page.status_code == 200
    assert "No signup forms yet" in page.text and "/admin/forms/new" in page.text


def test_the_editor_opens_on_the_default_design(client, signed_in):
    page = client.get("/admin/forms/new")

    assert page.status_code == 200
    assert 'name="rules.delay_seconds"' in page.text and 'value="Join our list"' in page.text


def test_a_form_is_created_from_the_editor(app, client, signed_in):
    shop, csrf = signed_in

    response = client.post("/admin/forms", data=editor_post(csrf))

    assert response.status_code == 303
    (form,) = rows(app, SignupForm)
    assert (form.shop_id, form.name, form.status) == (shop.id, "Welcome popup", LIVE)
    design = read_design(form.design)
    assert design.required("first_name") and not design.has("phone")
    assert [field.label for field in design.fields] == ["Email", "Prénom"]
    assert design.rules.exclude == ("/cart", "/checkout*") and design.rules.delay_seconds == 3
    assert design.style.background == "#ffffff"


def test_an_invalid_design_is_not_saved_and_each_input_is_marked(app, client, signed_in):
    _, csrf = signed_in

    response = client.post(
        "/admin/forms",
        data=editor_post(csrf, name="", **{"rules.delay_seconds": "soon", "style.text": "#eeeeee"}),
    )

    assert response.status_code == 400
    assert count(app, SignupForm) == 0
    for key in ("name", "rules-delay_seconds", "style-text"):
        assert f'aria-invalid="true" aria-describedby="f-{key}-error"' in response.text
    assert "below 4.5:1" in response.text


def test_asking_for_a_phone_needs_the_sms_wording(app, client, signed_in):
    _, csrf = signed_in

    response = client.post("/admin/forms", data=editor_post(csrf, **{"field.phone": "on"}))

    assert response.status_code == 400
    assert 'id="f-sms_wording-error"' in response.text


def test_a_form_is_edited_in_place(app, client, signed_in):
    _, csrf = signed_in
    client.post("/admin/forms", data=editor_post(csrf))
    (form,) = rows(app, SignupForm)

    response = client.post(f"/admin/forms/{form.id}", data=editor_post(csrf, status=DRAFT, title="Hello"))

    assert response.status_code == 303
    (saved,) = rows(app, SignupForm)
    assert (saved.status, saved.design["title"]) == (DRAFT, "Hello")


def test_another_shops_form_is_not_found(app, client, factory, signed_in):
    _, csrf = signed_in
    other = factory.shop(domain="beta.myshopify.com")
    factory.session.add(SignupForm(shop_id=other.id, name="Theirs", status=LIVE, design={}))
    factory.session.commit()
    (theirs,) = rows(app, SignupForm)

    assert client.get(f"/admin/forms/{theirs.id}").status_code == 404
    assert client.post(f"/admin/forms/{theirs.id}", data=editor_post(csrf)).status_code == 404
    assert client.post(f"/admin/forms/{theirs.id}/delete", data={"csrf_token": csrf}).status_code == 404
    assert count(app, SignupForm) == 1


def test_a_form_is_deleted(app, client, signed_in):
    _, csrf = signed_in
    client.post("/admin/forms", data=editor_post(csrf))
    (form,) = rows(app, SignupForm)

    response = client.post(f"/admin/forms/{form.id}/delete", data={"csrf_token": csrf, "confirmed": "yes"})

    assert response.status_code == 303
    assert count(app, SignupForm) == 0


def test_the_preview_reads_the_draft_as_it_stands(client, signed_in):
    _, csrf = signed_in

    response = client.post(
        "/admin/forms/preview",
        data=editor_post(csrf, title="Hi", **{"style.text": "red", "rules.delay_seconds": ""}),
    )

    assert response.status_code == 200
    assert response.json["design"]["title"] == "Hi"
    assert response.json["design"]["style"]["text"] == "#1f2933"  # the default stands in
    assert set(response.json["errors"]) == {"style.text", "rules.delay_seconds"}


def test_the_list_shows_each_forms_figures(app, client, factory, signed_in):
    shop, _ = signed_in
    factory.session.add(SignupForm(shop_id=shop.id, name="Popup", status=LIVE, design={}, views=40))
    factory.session.commit()

    page = client.get("/admin/forms")

    assert 'data-figure="views">40<' in page.text
    assert 'data-figure="rate">0.0%<' in page.text


def test_the_overview_shows_list_growth_by_source(app, client, factory, signed_in, clock):
    shop, _ = signed_in
    for n, source in enumerate(["storefront:form:1", "storefront:form:2", "shopify:checkout"]):
        contact = factory.contact(shop, email=f"s{n}@example.com")
        factory.session.add(
            ConsentChange(
                shop_id=shop.id,
                contact_id=contact.id,
                channel="email",
                previous=None,
                state="subscribed",
                source=source,
                changed_at=clock.now() - timedelta(hours=1),
            )
        )
    factory.session.commit()

    page = client.get("/admin")

    assert page.status_code == 200
    assert '<tr data-source="Signup forms"><td>Signup forms</td><td class="num">2</td>' in page.text
    assert '<tr data-source="Checkout"><td>Checkout</td><td class="num">1</td>' in page.text
