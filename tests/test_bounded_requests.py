"""Hostile query strings and path ids get a 4xx (or simply work), never a 500: one rule for NUL
bytes in any query string, and one bounded parser for the admin's whole numbers, pages, ids and
dates (``app/web/query_params.py``). Each case here was answered 500 on a live instance."""

from __future__ import annotations

import re

import pytest

from app.web.admin.auth import login_link_token
from app.web.factory import create_app
from app.web.query_params import MAX_PAGE, QueryParamError, page_number_from, query_date
from tests.conftest import test_config
from tests.support.admin import log_in, private_message
from tests.support.storefront import STOREFRONT


@pytest.fixture
def shop(factory):
    return factory.shop(storefront_url=STOREFRONT)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_nul_byte_in_a_public_query_string_is_refused(client, shop, method):
    response = client.open("/storefront/notify?k=%00", method=method, data={"email": "jane@example.com"})

    assert response.status_code == 400
    assert "NUL" in response.text


@pytest.mark.parametrize(
    "path", ["/storefront/events?k=%00", "/webhooks/shopify?x=%00", "/webhooks/saleor?%00"]
)
def test_a_nul_byte_reaching_a_door_ahead_of_flask_is_refused(client, shop, path):
    # found by the route fuzz: the storefront's shop lookup took PostgreSQL's refusal for an outage (503)
    response = client.post(path, data=b"{}", headers={"Origin": STOREFRONT, "Content-Type": "text/plain"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/admin/contacts?q=%00", "/admin/messages?q=%00", "/admin/contacts?q=a%00b"]
)
def test_a_nul_byte_in_an_admin_search_is_refused(client, shop, path):
    log_in(client, shop.id)

    assert client.get(path).status_code == 400


@pytest.mark.parametrize("end", ["0001-01-01", "9999-12-31"])
def test_report_dates_at_the_ends_of_the_calendar_are_refused(client, shop, end):
    log_in(client, shop.id)

    response = client.get(f"/admin/api/reports?end={end}")

    assert response.status_code == 400
    assert "end must be a date between" in response.json["error"]


def test_a_report_start_at_the_end_of_the_calendar_is_refused(client, shop):
    log_in(client, shop.id)

    response = client.get("/admin/api/reports?start=9999-12-31&end=9999-12-31")

    assert response.status_code == 400


@pytest.mark.parametrize("page", ["1e20", "99999999999999999999", "²", "-3", "0", " 2"])
@pytest.mark.parametrize("listing", ["/admin/contacts", "/admin/messages"])
def test_a_page_number_of_any_kind_shows_a_page(client, factory, shop, listing, page):
    private_message(factory, shop)
    log_in(client, shop.id)

    response = client.get(f"{listing}?page={page}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/contacts/99999999999", "/admin/messages/99999999999", "/admin/contacts/2147483648"]
)
def test_an_id_no_row_can_have_is_not_found(client, shop, path):
    log_in(client, shop.id)

    assert client.get(path).status_code == 404


def test_an_action_on_an_id_no_row_can_have_is_not_found(client, shop):
    csrf = log_in(client, shop.id)

    response = client.post("/admin/contacts/99999999999/erase", data={"csrf_token": csrf, "confirm": "erase"})

    assert response.status_code == 404


def test_a_login_link_while_redis_is_down_asks_to_try_again_and_still_works_after(
    client, shop, postgres_url, clock
):
    link = f"/admin/login/{login_link_token('test-secret-key', shop.id)}"
    down = create_app(test_config(postgres_url, redis_url="redis://127.0.0.1:1/0"), clock=clock)

    refused = down.test_client().get(link)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert "try the link again" in refused.text
    assert client.get(link).status_code == 303  # unused: it works once Redis is back


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        (None, 1),
        ("", 1),
        ("7", 7),
        ("0", 1),
        ("-2", 1),
        ("1e20", 1),
        ("²", 1),
        ("٣", 1),
        ("10" * 30, MAX_PAGE),
        ("9" * 5000, MAX_PAGE),
    ],
)
def test_page_numbers_are_ascii_whole_numbers_held_to_a_maximum(raw, page):
    assert page_number_from(raw) == page


@pytest.mark.parametrize(
    "raw",
    ["0001-01-01", "9999-12-31", "2026-02-30", "2026-1-1", "20260101", "\uff12\uff10\uff12\uff16-01-01"],
)
def test_query_dates_are_real_dates_within_bounds(raw):
    with pytest.raises(QueryParamError, match=re.escape("when must be a date between")):
        query_date(raw, "when")


def test_a_query_date_in_range_is_read():
    assert query_date("2026-11-26", "when").isoformat() == "2026-11-26"
