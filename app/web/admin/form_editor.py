"""Read the signup form editor's post into a design document for ``app/forms/design.py`` to check.

The editor's inputs are named after the design's settings as its errors name them
(``rules.delay_seconds``, ``style.text``), so each error lands on its own input. Numbers that are
not numbers are handed on as text, for the design to refuse with its own message.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from app.core.text import storable
from app.forms.design import FIELD_LABELS, FIELDS, FormDesign

OPTIONAL_FIELDS = tuple(name for name in FIELDS if name != "email")
TEXTS = (
    "kind",
    "title",
    "body",
    "button",
    "email_wording",
    "sms_wording",
    "success_title",
    "success_message",
    "mobile",
)
RULE_NUMBERS = ("delay_seconds", "scroll_percent", "frequency_days")
RULE_FLAGS = ("exit_intent", "hide_for_subscribers")
COLOURS = ("background", "text", "accent", "button_text")
MAX_FORM_NAME = 120


def design_from_post(post: MultiDict[str, str]) -> dict[str, Any]:
    """Turn the editor's fields into the design document they describe."""
    fields = [{"name": "email", "required": True, "label": post.get("label.email", "")}]
    fields += [
        {"name": name, "required": f"required.{name}" in post, "label": post.get(f"label.{name}", "")}
        for name in OPTIONAL_FIELDS
        if f"field.{name}" in post
    ]
    return {
        **{key: post.get(key, "") for key in TEXTS},
        "fields": fields,
        "discount": "discount" in post,
        "rules": {
            **{key: _number(post.get(f"rules.{key}", "")) for key in RULE_NUMBERS},
            **{key: f"rules.{key}" in post for key in RULE_FLAGS},
            "include": _paths(post.get("rules.include", "")),
            "exclude": _paths(post.get("rules.exclude", "")),
        },
        "style": {key: post.get(f"style.{key}", "") for key in COLOURS},
    }


def form_name(post: MultiDict[str, str]) -> tuple[str, str | None]:
    """Return the form's name and what is wrong with it, if anything."""
    name = " ".join(storable(post.get("name", "")).split())
    if not name:
        return name, gettext("give the form a name, for you to find it by")
    if len(name) > MAX_FORM_NAME:
        return name[:MAX_FORM_NAME], gettext("keep it under %(max)s characters", max=MAX_FORM_NAME)
    return name, None


def _number(raw: str) -> int | str:
    text = raw.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else text


def _paths(raw: str) -> list[str]:
    """One page path per line; blank lines are nothing."""
    return [line.strip() for line in raw.splitlines() if line.strip()]


def editor_values(name: str, status: str, design: FormDesign) -> dict[str, Any]:
    """The editor's inputs filled from a stored design, named as ``design_from_post`` reads them."""
    values: dict[str, Any] = {"name": name, "status": status, "discount": design.discount}
    values.update({f"label.{field}": label for field, label in FIELD_LABELS.items()})
    values.update({key: getattr(design, key) for key in TEXTS})
    for field in design.fields:
        values[f"field.{field.name}"] = True
        values[f"required.{field.name}"] = field.required
        values[f"label.{field.name}"] = field.label
    rules = design.rules
    values.update({f"rules.{key}": getattr(rules, key) for key in (*RULE_NUMBERS, *RULE_FLAGS)})
    values["rules.include"] = "\n".join(rules.include)
    values["rules.exclude"] = "\n".join(rules.exclude)
    values.update({f"style.{key}": getattr(design.style, key) for key in COLOURS})
    return values
