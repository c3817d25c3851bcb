"""A signup form's design: what it asks, what it promises, when it shows, and how it looks.

The design is one JSON document on the form (``SignupForm.design``). ``read_design`` checks a
merchant's draft and collects every problem at once, keyed by the setting it is about, so the
admin can mark each field; a stored design is read through the same function, so the storefront
only ever sees designs that passed it. Colours must keep text readable: the form's text and its
button's label must each reach WCAG AA's 4.5:1 contrast against their background, checked here
rather than trusted to the merchant's eye.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from app.core.errors import StoreflowError
from app.core.text import storable

POPUP, FLYOUT, EMBEDDED = "popup", "flyout", "embedded"
KINDS = (POPUP, FLYOUT, EMBEDDED)
FIELDS = ("email", "phone", "first_name", "birthday")
# The labels a field has unless the merchant words it otherwise (in the shop's language, say).
FIELD_LABELS = {
    "email": "Email",
    "phone": "Phone number",
    "first_name": "First name",
    "birthday": "Birthday (MM-DD)",
}
MAX_LABEL = 80
# On a narrow screen a popup covers the screen, sits at the bottom as a sheet, or is not shown.
MOBILE_LAYOUTS = ("full", "sheet", "hidden")
MIN_CONTRAST = 4.5  # WCAG 2.x AA for normal text
MAX_TEXT = 500
MAX_WORDING = 2000
MAX_PATTERNS = 20
MAX_DELAY_SECONDS = 600
MAX_FREQUENCY_DAYS = 365
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# A page pattern is a URL path; ``*`` matches any run of characters (``/products/*``).
PATTERN = re.compile(r"/[A-Za-z0-9/_\-.*~%]{0,199}")


class FormDesignError(StoreflowError, ValueError):
    """A design was refused; ``errors`` names each setting at fault and why."""

    reason = "invalid_form_design"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class FormField:
    name: str
    required: bool
    label: str


@dataclass(frozen=True)
class DisplayRules:
    """When the storefront script shows the form; every rule must hold (``storeflow-forms.js``)."""

    delay_seconds: int = 5
    scroll_percent: int = 0  # 0: do not wait for scrolling
    exit_intent: bool = False  # show when the pointer leaves towards the browser's bar instead
    include: tuple[str, ...] = ()  # empty: every page
    exclude: tuple[str, ...] = ()
    frequency_days: int = 7  # once shown, stay hidden this long; 0: show on every page load
    hide_for_subscribers: bool = True


@dataclass(frozen=True)
class Style:
    background: str = "#ffffff"
    text: str = "#1f2933"
    accent: str = "#1d4ed8"
    button_text: str = "#ffffff"


@dataclass(frozen=True)
class FormDesign:
    kind: str = POPUP
    title: str = "Join our list"
    body: str = "Be the first to hear about new products and offers."
    button: str = "Sign up"
    fields: tuple[FormField, ...] = (FormField("email", True, FIELD_LABELS["email"]),)
    email_wording: str = "By signing up you agree to receive marketing emails. Unsubscribe at any time."
    sms_wording: str = ""
    discount: bool = False  # promise the welcome series' first-order discount in the success state
    success_title: str = "Thanks for signing up!"
    success_message: str = "Check your inbox."
    mobile: str = "sheet"
    rules: DisplayRules = field(default_factory=DisplayRules)
    style: Style = field(default_factory=Style)

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def required(self, name: str) -> bool:
        return any(f.name == name and f.required for f in self.fields)

    def as_dict(self) -> dict[str, Any]:
        """The JSON the form stores and the storefront script renders."""
        return asdict(self)


def read_design(raw: Mapping[str, Any]) -> FormDesign:
    """Check a design document and return it, or raise ``FormDesignError`` naming every problem."""
    design, errors = read_draft(raw)
    if errors:
        raise FormDesignError(errors)
    return design


def read_draft(raw: Mapping[str, Any]) -> tuple[FormDesign, dict[str, str]]:
    """Read a design as far as it goes: defaults stand in for values it cannot read, and each problem
    is named. The admin's live preview shows a draft while the merchant is still fixing it, colours
    of too little contrast as chosen, for the merchant to see why they were refused."""
    reader = _Reader(raw)
    return reader.design(), reader.errors


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two ``#rrggbb`` colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


class _Reader:
    """Read one design, noting each problem under its setting's name and carrying on."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw if isinstance(raw, Mapping) else {}
        self.errors: dict[str, str] = {}

    def design(self) -> FormDesign:
        default = FormDesign()
        kind = self.choice(self.raw, "kind", KINDS, default.kind)
        fields = self.fields()
        sms_wording = self.text(self.raw, "sms_wording", default.sms_wording, MAX_WORDING, blank=True)
        if any(f.name == "phone" for f in fields) and not sms_wording:
            self.errors["sms_wording"] = "a form that asks for a phone number needs the SMS consent wording"
        return FormDesign(
            kind=kind,
            title=self.text(self.raw, "title", default.title, MAX_TEXT),
            body=self.text(self.raw, "body", default.body, MAX_TEXT, blank=True),
            button=self.text(self.raw, "button", default.button, 60),
            fields=fields,
            email_wording=self.text(self.raw, "email_wording", default.email_wording, MAX_WORDING),
            sms_wording=sms_wording,
            discount=self.flag(self.raw, "discount", default.discount),
            success_title=self.text(self.raw, "success_title", default.success_title, MAX_TEXT),
            success_message=self.text(
                self.raw, "success_message", default.success_message, MAX_TEXT, blank=True
            ),
            mobile=self.choice(self.raw, "mobile", MOBILE_LAYOUTS, default.mobile),
            rules=self.rules(),
            style=self.style(),
        )

    def fields(self) -> tuple[FormField, ...]:
        raw = self.raw.get("fields", [{"name": "email", "required": True}])
        if not isinstance(raw, list):
            self.errors["fields"] = "must be a list"
            return FormDesign().fields
        chosen: dict[str, FormField] = {}
        for item in raw[: len(FIELDS) * 2]:
            name = item.get("name") if isinstance(item, Mapping) else None
            if name not in FIELDS:
                self.errors["fields"] = f"fields are {', '.join(FIELDS)}"
                continue
            label = self.text(item, "label", FIELD_LABELS[name], MAX_LABEL, error_key=f"label.{name}")
            chosen[name] = FormField(name, bool(item.get("required")), label)
        if "email" not in chosen:
            self.errors["fields"] = "a signup form asks for the email address"
            return tuple(chosen.values()) or FormDesign().fields
        # The address is what the form collects: always asked for, always required.
        chosen["email"] = FormField("email", True, chosen["email"].label)
        return tuple(chosen[name] for name in FIELDS if name in chosen)

    def rules(self) -> DisplayRules:
        raw = self.raw.get("rules", {})
        rules = raw if isinstance(raw, Mapping) else {}
        default = DisplayRules()
        return DisplayRules(
            delay_seconds=self.number(rules, "delay_seconds", default.delay_seconds, MAX_DELAY_SECONDS),
            scroll_percent=self.number(rules, "scroll_percent", default.scroll_percent, 100),
            exit_intent=self.flag(rules, "exit_intent", default.exit_intent),
            include=self.patterns(rules, "include"),
            exclude=self.patterns(rules, "exclude"),
            frequency_days=self.number(rules, "frequency_days", default.frequency_days, MAX_FREQUENCY_DAYS),
            hide_for_subscribers=self.flag(rules, "hide_for_subscribers", default.hide_for_subscribers),
        )

    def style(self) -> Style:
        raw = self.raw.get("style", {})
        style = raw if isinstance(raw, Mapping) else {}
        default = Style()
        colours = {
            name: self.colour(style, name, getattr(default, name))
            for name in ("background", "text", "accent", "button_text")
        }
        chosen = Style(**colours)
        for name, (fore, back) in {
            "text": (chosen.text, chosen.background),
            "button_text": (chosen.button_text, chosen.accent),
        }.items():
            ratio = contrast_ratio(fore, back)
            if ratio < MIN_CONTRAST and f"style.{name}" not in self.errors:
                self.errors[f"style.{name}"] = (
                    f"contrast {ratio:.1f}:1 is below {MIN_CONTRAST}:1; shoppers could not read it"
                )
        return chosen

    def text(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: str,
        limit: int,
        blank: bool = False,
        error_key: str | None = None,
    ) -> str:
        value = raw.get(key, default)
        where = error_key or key
        if not isinstance(value, str):
            self.errors[where] = "must be text"
            return default
        value = storable(value).strip()
        if not value and not blank:
            self.errors[where] = "cannot be empty"
        elif len(value) > limit:
            self.errors[where] = f"keep it under {limit} characters"
            return value[:limit]
        return value

    def choice(self, raw: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
        value = raw.get(key, default)
        if value not in choices:
            self.errors[key] = f"choose one of {', '.join(choices)}"
            return default
        return str(value)

    def flag(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.errors[key] = "must be true or false"
            return default
        return value

    def number(self, raw: Mapping[str, Any], key: str, default: int, maximum: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
            self.errors[f"rules.{key}"] = f"a whole number from 0 to {maximum}"
            return default
        return value

    def patterns(self, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or len(value) > MAX_PATTERNS:
            self.errors[f"rules.{key}"] = f"a list of at most {MAX_PATTERNS} page paths"
            return ()
        bad = [item for item in value if not isinstance(item, str) or not PATTERN.fullmatch(item)]
        if bad:
            self.errors[f"rules.{key}"] = "each page is a path starting with / (use * for any text)"
            return ()
        return tuple(value)

    def colour(self, raw: Mapping[str, Any], key: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not COLOUR.fullmatch(value):
            self.errors[f"style.{key}"] = "a colour like #1d4ed8"
            return default
        return value.lower()
