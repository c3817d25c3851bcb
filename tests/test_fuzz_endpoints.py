"""Property tests of the other public doors: the storefront endpoint, SendGrid's and Twilio's
webhooks, and Saleor's install (its body, its API URL header and the URL normal form); and a walk
of every route the app serves, every method, with hostile requests (tests/support/route_fuzz.py).

Each is driven through the real endpoint with hostile but correctly signed (or keyed) input, and
must answer without a 5xx, keep nothing from what it refused, and keep what it accepted whole.
Webhook bodies from Shopify and Saleor are fuzzed in test_fuzz_ingest.py and test_fuzz_normalizers.py.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
import responses
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.db import db
from app.db.models import Message, MessageEvent, Shop
from app.messaging.sms_keywords import keyword
from app.platforms.saleor.errors import InvalidApiUrlError
from app.platforms.saleor.urls import ApiUrlAllowlist, normalize_api_url
from app.storefront.buffer import QUEUE_KEY
from app.storefront.schema import parse_batch
from tests.support.db import count
from tests.support.hostile import any_text, assert_storable
from tests.support.messages import sent_message
from tests.support.route_fuzz import RouteFuzzer, doors, make_target, requests_for
from tests.support.saleor import ALLOWLIST, API_URL, who_am_i
from tests.support.sendgrid_events import post_events, public_key
from tests.support.storefront import STOREFRONT, batch, post, product_viewed, visitor_id
from tests.support.twilio_requests import post_signed, status_params
from tests.test_fuzz_normalizers import NOW, json_values
from webhooks.payload import decode_json
from webhooks.sendgrid.events import parse_events
from webhooks.twilio.status import status_feedback

FIXTURES_ONCE = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {
        "sendgrid_webhook_public_key": public_key(),
        "twilio_auth_token": "test-auth-token",
        "saleor_allowed_api_urls": ALLOWLIST,
    }


@pytest.fixture
def shop(factory) -> Shop:
    return factory.shop(storefront_url=STOREFRONT)


# --- storefront events --------------------------------------------------------------------------

EVENT_TYPES = ("product_viewed", "collection_viewed", "search_submitted", "product_added_to_cart", "x")
event_fields = st.dictionaries(
    st.sampled_from(
        [
            *("type", "product_id", "variant_id", "title", "price", "currency", "quantity", "url"),
            *("search_query", "checkout_token", "collection_id", "sf_c", "customer_id"),
        ]
    ),
    st.one_of(json_values, st.sampled_from(EVENT_TYPES)),
    max_size=6,
)
storefront_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "visitor": st.one_of(st.builds(visitor_id), json_values),
            "events": st.lists(event_fields, max_size=12),
        }
    ),
    st.builds(lambda events: batch(None, *events), st.lists(event_fields, min_size=1, max_size=3)),
    st.builds(lambda: batch(None, product_viewed())),
    json_values,
)


@FIXTURES_ONCE
@given(body=storefront_bodies)
def test_storefront_posts_are_accepted_whole_or_refused_whole(app, client, shop, redis, body):
    raw = json.dumps(body).encode()
    before = redis.llen(QUEUE_KEY)

    response = post(client, shop.storefront_key, raw)

    assert response.status_code in {202, 400}, response.data
    assert redis.llen(QUEUE_KEY) - before == (1 if response.status_code == 202 else 0)
    assert (response.status_code == 202) == _valid(raw)


def _valid(raw: bytes) -> bool:
    from app.storefront.errors import InvalidEventsError

    try:
        parse_batch(raw)
    except InvalidEventsError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@example(body=batch("v" * 16, product_viewed(title="Shirt \ud83d", search_query="\udfff")))
@given(body=storefront_bodies)
def test_what_the_storefront_schema_accepts_can_be_stored_as_it_is(body):
    from app.storefront.errors import InvalidEventsError

    try:
        parsed = parse_batch(json.dumps(body).encode())
    except InvalidEventsError:
        return
    assert_storable(parsed)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=400))
def test_any_bytes_are_parsed_or_refused_by_the_storefront_schema(raw):
    from app.storefront.errors import InvalidEventsError

    with contextlib.suppress(InvalidEventsError):
        parse_batch(raw)


# --- SendGrid's event webhook -------------------------------------------------------------------

sendgrid_events = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "event": st.sampled_from(["delivered", "open", "click", "bounce", "dropped", "spamreport"]),
                "storeflow_message_id": st.one_of(st.just("1"), json_values),
                "sg_event_id": st.one_of(st.text(max_size=20), json_values),
                "timestamp": st.one_of(st.integers(-(2**40), 2**40), json_values),
            },
            optional={"url": json_values, "type": json_values, "reason": json_values},
        ),
        json_values,
    ),
    max_size=6,
)


@pytest.fixture
def email_message(factory, shop, clock) -> Message:
    contact = factory.contact(shop, email="jane@example.com", phone="+16135551111")
    return sent_message(db.session, shop, contact, clock.now() - timedelta(minutes=5))


@FIXTURES_ONCE
@given(events=st.one_of(sendgrid_events, json_values))
def test_signed_sendgrid_posts_are_applied_or_refused_never_crashed_on(app, client, email_message, events):
    before = count(app, MessageEvent)

    response = post_events(client, json.dumps(events).encode())

    assert response.status_code == (200 if isinstance(events, list) and _strict_json(events) else 400)
    if response.status_code == 400:
        assert count(app, MessageEvent) == before


def _strict_json(value: object) -> bool:
    """Tell JSON from Python's extension of it (NaN, Infinity), which every door refuses."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@example(
    events=[{"event": "bounce", "storeflow_message_id": "1", "reason": "\udfff", "timestamp": 253402300799}]
)
@example(events=[{"event": "open", "storeflow_message_id": "1", "timestamp": -62135596800}])
@given(events=sendgrid_events)
def test_what_sendgrid_events_are_read_as_can_be_stored_as_it_is(events):
    try:
        payload = decode_json(json.dumps(events))
    except ValueError:
        return
    assert_storable(parse_events(payload, NOW).feedback)


# --- Twilio's callbacks and replies -------------------------------------------------------------

form_values = st.text(max_size=40)


@pytest.fixture
def sms_message(factory, shop, clock) -> Message:
    contact = factory.contact(shop, phone="+16135551111")
    return sent_message(db.session, shop, contact, clock.now(), channel="sms", provider_message_id="SMx")


@FIXTURES_ONCE
@given(
    fields=st.dictionaries(st.sampled_from(["MessageStatus", "ErrorCode", "MessageSid", "To"]), form_values)
)
def test_signed_twilio_callbacks_with_any_fields_never_crash(app, client, sms_message, fields):
    params = {**status_params("SMx", "delivered"), **fields}

    response = post_signed(client, f"/webhooks/twilio/status?ref={sms_message.id}", params)

    assert response.status_code == 204


@settings(max_examples=200, deadline=None)
@example(fields={"ErrorCode": "\udfff"})
@given(fields=st.dictionaries(st.sampled_from(["MessageStatus", "ErrorCode", "MessageSid"]), any_text))
def test_what_a_twilio_status_callback_is_read_as_can_be_stored_as_it_is(fields):
    assert_storable(status_feedback(1, {**status_params("SMx", "delivered"), **fields}, NOW))


@FIXTURES_ONCE
@given(body=st.text(max_size=200), sender=form_values)
def test_signed_twilio_replies_with_any_text_never_crash(app, client, shop, body, sender):
    params = {"AccountSid": "AC" + "0" * 32, "From": sender, "To": "+15005550006", "Body": body}

    response = post_signed(client, "/webhooks/twilio/inbound", params)

    assert response.status_code == 200
    assert response.mimetype == "application/xml"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_reply_text_is_one_keyword_or_none(text):
    keyword(text)


# --- Saleor's install ---------------------------------------------------------------------------


@FIXTURES_ONCE
@given(
    body=st.one_of(json_values, st.fixed_dictionaries({"auth_token": json_values})),
    api_url=st.one_of(st.just(API_URL), st.text(max_size=80)),
)
def test_install_requests_of_any_shape_are_answered_without_a_server_error(app, client, redis, body, api_url):
    redis.flushdb()  # the per-instance install limit is not what this test is about
    with responses.RequestsMock(assert_all_requests_are_fired=False) as saleor:
        saleor.post(API_URL, json=who_am_i())
        headers = {"Saleor-Api-Url": api_url} if _header_safe(api_url) else {}
        response = client.post("/saleor/register", data=json.dumps(body), headers=headers)

    assert response.status_code in {200, 400, 401, 403}, response.data
    assert response.json is not None and "success" in response.json
    if response.status_code == 200:
        assert count(app, Shop, platform="saleor") == 1


def _header_safe(value: str) -> bool:
    return value.isprintable() and all(ord(c) < 256 for c in value)


urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
        st.from_regex(r"[A-Za-z0-9.\-\[\]:@%]{0,30}", fullmatch=True),
        st.sampled_from(["", ":443", ":80", ":8000", ":99999", ":x"]),
        st.sampled_from(["", "/", "/graphql", "/graphql/", "/graphql/?q=1", "/a#b"]),
    ),
)
ALLOWLIST_CHECK = ApiUrlAllowlist(("https://*.saleor.cloud/graphql/", "https://shop.example.com/graphql/"))


@settings(max_examples=500, deadline=None)
@given(urls)
def test_api_urls_normalize_to_one_stable_form_or_are_refused(raw):
    try:
        normal = normalize_api_url(raw)
    except InvalidApiUrlError:
        return
    assert normalize_api_url(normal) == normal
    assert normal.startswith(("http://", "https://")) and normal.endswith("/")
    if ALLOWLIST_CHECK.allows(normal):
        host = normal.split("/")[2]
        assert normal.endswith("/graphql/") and normal.startswith("https://")
        assert host == "shop.example.com" or (host.endswith(".saleor.cloud") and host.count(".") == 2)


# --- every route ------------------------------------------------------------------------------

# A few hundred requests per run keep `make test` quick; bench/fuzz_routes.py sends 10,000 or more.
ROUTE_EXAMPLES = 300


def test_the_route_walk_covers_every_route_and_method(app):
    walked = {(door.path, door.method) for door in doors(app)}
    served = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }

    assert len(walked) == len(served) + 3  # the three doors answered ahead of Flask
    assert {method for _, method in walked} == {"GET", "POST"}


@settings(
    max_examples=ROUTE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_to_any_route_gets_a_server_error(app, factory, redis, data):
    fuzzer = _route_fuzzer(app, factory)
    request = data.draw(requests_for(app))

    with fuzzer.outbound_faked():
        response = fuzzer.send(request)

    assert response.status_code < 500, (request, response.data[:300])


_FUZZERS: dict[int, RouteFuzzer] = {}


def _route_fuzzer(app, factory) -> RouteFuzzer:
    """One target shop per test run (hypothesis runs every example in the same fixtures)."""
    if id(app) not in _FUZZERS:
        _FUZZERS.clear()
        _FUZZERS[id(app)] = RouteFuzzer(app, make_target(factory))
    return _FUZZERS[id(app)]
