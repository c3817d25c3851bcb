"""Merchant template errors in plain words at their line: Jinja's messages mapped (issue 19.1).

Each case is a source a merchant could type, the line the editor should point at, and the words
it should show; Jinja's own message is kept as the detail.
"""

from __future__ import annotations

import pytest

from app.messaging.render import TemplatePartError, compile_part, render_strict
from app.messaging.template_errors import RULES, explain

CONTEXT = {"shop": {"name": "Shop"}, "contact": {"first_name": "Jane"}}
CASES = [
    (
        "Hi\n{% if contact.first_name %}\n{{ contact.first_name }}\n\n",
        2,
        "the tag {% if %} is never closed (add {% endif %})",
    ),
    ("{% if a %}\n{% for x in y %}{% endfor %}\n\n", 1, "the tag {% if %} is never closed (add {% endif %})"),
    ("a\n{% for x in y %}\n\nz", 2, "the tag {% for %} is never closed (add {% endfor %})"),
    ("Hi {{ contact.first_name ", 1, "a {{ is never closed (add }} after the variable)"),
    ("Hi {% if x ", 1, "a {% is never closed (add %} after the tag)"),
    (
        "{% if a %}{% for x in y %}\n{% endif %}",
        2,
        "{% endif %} comes before the {% for %} inside it is closed (add {% endfor %} first)",
    ),
    ("\n{% endif %}", 2, "{% endif %} closes nothing: there is no open {% if %} above it (remove it)"),
    ("{% unless x %}", 1, "{% unless %} is not a tag templates know"),
    ("{{ nope }}", 1, "there is no variable called nope"),
    ("{{ contact.nme }}", 1, "“nme” is not a field of this variable"),
    ("{{ shop.name.nope }}", 1, "“nope” is not a field of this text"),
    ("{{ shop.name|bogus }}", 1, "there is no filter called bogus"),
    ("{{ a @ b }}", 1, "the character @ cannot be used inside {{ }} or {% %}"),
    ("{{ ''.__class__ }}", 1, "templates may not use __class__"),
    ("{# note", 1, "a {# comment is never closed (add #})"),
    ("{% %}", 1, "{% %} needs a tag name, like {% if cart %}"),
    ("{{ shop name }}", 1, "“name” follows a value inside {{ }} without a dot, a | or an operator"),
    ("{% if %}{% endif %}", 1, "a tag is missing what it tests or loops over"),
    ("{{ shop.name.upper( }}", 1, "“}” found where “)” was expected (a bracket may be left open)"),
    ("{% extends 'nope.html' %}", 1, "there is no template called nope.html"),
    ("\n\n{{ 1 / 0 }}", 3, "it divides by zero"),
]


def _failure(source: str) -> TemplatePartError:
    with pytest.raises(TemplatePartError) as caught:
        render_strict("welcome_1", "email", CONTEXT, {"subject": "Hi", "text": "Hi", "html": source})
    return caught.value


@pytest.mark.parametrize(("source", "line", "words"), CASES)
def test_a_jinja_error_reads_in_plain_words_at_its_line(source, line, words):
    error = _failure(source)

    plain = explain(error.message, error.line, source)

    assert plain.line == line
    assert words in plain.words
    assert str(plain).startswith(f"Line {line}: ")


def test_the_original_message_is_kept_as_the_detail():
    error = _failure("{% if x %}")

    plain = explain(error.message, error.line, "{% if x %}")

    assert plain.detail == error.message
    assert "Jinja was looking for the following tags" in plain.detail


def test_every_rule_is_exercised_by_a_case():
    messages = [_failure(source).message for source, _, _ in CASES]

    unused = [pattern.pattern for pattern, _ in RULES if not any(pattern.search(m) for m in messages)]

    assert unused == [r"took longer than"]  # the time limit has its own tests (test_template_limits.py)


def test_an_unknown_message_is_shown_as_it_is():
    plain = explain("something new went wrong.", 4)

    assert str(plain) == "Line 4: something new went wrong"


def test_a_message_without_a_line_starts_with_a_capital():
    plain = explain("'nope' is undefined", None)

    assert str(plain).startswith("There is no variable called nope")


def test_a_syntax_error_from_compiling_maps_the_same_way():
    with pytest.raises(TemplatePartError) as caught:
        compile_part("html", "line one\n{% for item in items %}\n")

    plain = explain(caught.value.message, caught.value.line, "line one\n{% for item in items %}\n")

    assert str(plain) == "Line 2: the tag {% for %} is never closed (add {% endfor %})"
