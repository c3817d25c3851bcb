"""Merchant templates are bounded: a hostile or merely slow override fails as a template error, in
any thread, instead of holding a web or worker thread; at send time the bundled template goes out.

Each hostile template here was seen to pin a gunicorn worker (31 s until killed) or to raise
something that is not a ``TemplateError`` (an answer of 500, a message left pending)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from app.db.models import Decision, FlowSetting, Message
from app.messaging.render import TemplatePartError, render, render_strict
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.store import abandon_checkout

HOUR = timedelta(hours=1)
EDITOR = "/admin/flows/abandoned_checkout/templates/first_email"
# Every one of these ran for minutes, or without end, before templates were bounded.
SLOW = {
    "a huge power": "{% set b=3 %}{{ (b**(10**8)) % 7 }}",
    "nested loops over ranges": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    ),
    "nested loops with no call inside": (
        "{% set x = range(100000) %}{% for a in x %}{% for b in x %}{% for c in x %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    ),
    "nested loops over a literal list": (
        "{% set x = [1,2,3,4,5,6,7,8,9,10] %}" + "{% for a in x %}" * 12 + "{% endfor %}" * 12
    ),
    "exponential macro recursion": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"
    ),
}
# Each of these raised an error that is not a TemplateError (OverflowError, ValueError, MemoryError,
# RecursionError), or built a value of gigabytes.
HUGE = {
    "a range of a billion": "{% for i in range(10**9) %}{% endfor %}",
    "a number too long to print": "{{ 10**5000 }}",
    "a float too large": "{{ 10.0**400 }}",
    "a string of a gigabyte": "{{ ('x' * 10**9)|length }}",
    "a list of a gigabyte": "{{ ([1] * 10**9)|length }}",
    "a number squared and squared again": (
        "{% set ns = namespace(n=10**1000) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}"
    ),
    "a string doubled by concatenation": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
    ),
    "a string doubled by addition": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
    ),
    "a width of a gigabyte": "{{ 'x'|center(10**9) }}",
    "a method given a gigabyte": "{{ 'x'.ljust(10**9) }}",
    "endless recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "a division by zero": "{{ 1 // 0 }}",
}


def _sms(source: str):
    return render_strict("abandoned_checkout_sms", "sms", _sms_context(), {"text": source})


def _sms_context():
    return {
        "shop": {"name": "Alpha Goods"},
        "contact": {"first_name": "John"},
        "checkout": {"recovery_url": "https://x.example/r"},
    }


def _in_a_thread(source: str) -> BaseException | None:
    """Render in a thread other than the main one (as gunicorn gthread and RQ do); return its error."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            _sms(source)
        except BaseException as exc:  # the test asserts what it was
            caught.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the render was not bounded"
    return caught[0] if caught else None


@pytest.mark.parametrize("source", SLOW.values(), ids=SLOW.keys())
def test_a_slow_template_stops_as_a_template_error_in_any_thread(source):
    error = _in_a_thread(source)

    assert isinstance(error, TemplatePartError)
    assert error.part == "text"


def test_a_template_out_of_time_says_so():
    error = _in_a_thread(SLOW["nested loops over ranges"])

    assert "took longer than" in str(error)


@pytest.mark.parametrize("source", HUGE.values(), ids=HUGE.keys())
def test_a_template_that_builds_something_huge_is_a_template_error(source):
    error = _in_a_thread(source)

    assert isinstance(error, TemplatePartError)


def test_powers_products_and_ranges_of_a_sensible_size_still_work():
    rendered = _sms(
        "{{ 2**10 }} {{ 'ab' * 3 }} {{ range(5)|sum }} {{ (10**20) * (10**20) }} {{ 7 % 3 }} {{ 'a' ~ 'b' }}"
    )

    assert rendered.text == f"1024 ababab 10 {10**40} 1 ab"


def test_a_slow_override_falls_back_to_the_bundled_template_and_says_why():
    rendered = render("abandoned_checkout_sms", "sms", _sms_context(), {"text": SLOW["a huge power"]})

    assert rendered.text.startswith("Alpha Goods: Hi John")
    assert rendered.fallback is not None and "text:" in rendered.fallback


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def _bundled(part: str) -> str:
    from app.messaging.render import template_source

    return template_source("abandoned_checkout_1", part)


def _edit(client, csrf, action="", **parts):
    data = {
        "csrf_token": csrf,
        **{f"part_{p}": parts.get(p, _bundled(p)) for p in ("subject", "text", "html")},
    }
    return client.post(EDITOR + action, data=data)


@pytest.mark.parametrize("source", [*SLOW.values(), *HUGE.values()], ids=[*SLOW.keys(), *HUGE.keys()])
def test_the_preview_of_a_hostile_template_answers_its_error(client, shop, source):
    csrf = log_in(client, shop.id)

    response = _edit(client, csrf, action="/preview", subject=source)

    assert response.status_code == 200
    assert response.json["error"]["part"] == "subject"


@pytest.mark.parametrize("name", ["a huge power", "nested loops over ranges"])
def test_saving_a_hostile_template_is_refused(app, client, shop, name):
    csrf = log_in(client, shop.id)

    response = _edit(client, csrf, subject=SLOW[name])

    assert response.status_code == 400
    assert "Not saved: the template has an error, shown next to it." in response.text
    assert re.search(r'<textarea[^>]*id="part-subject"[^>]*aria-invalid="true"', response.text)
    assert rows(app, FlowSetting) == []


def test_a_saved_template_slow_for_some_shoppers_falls_back_at_send_time(app, client, harness, factory, shop):
    # given a subject that renders at once for the sample shopper (Jane) but never ends for John
    slow_for_john = (
        "{% if contact.first_name == 'John' %}" + SLOW["nested loops over ranges"] + "{% endif %}Hi there"
    )
    factory.enable(shop, "abandoned_checkout")
    csrf = log_in(client, shop.id)
    assert _edit(client, csrf, subject=slow_for_john).status_code == 303

    # when John's reminder is due
    abandon_checkout(client, harness)
    harness.advance(HOUR)

    # then the bundled template goes out, and the message and the decision log say why
    (message,) = rows(app, Message)
    assert (message.status, message.subject) == ("sent", "John, your cart at Alpha Goods is waiting")
    assert any("took longer than" in entry.get("detail", "") for entry in message.timeline)
    (sent,) = [decision for decision in rows(app, Decision) if decision.outcome == "sent"]
    assert "bundled template" in sent.reason and "took longer than" in sent.facts["template_fallback"]
