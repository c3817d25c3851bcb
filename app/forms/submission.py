"""What a shopper typed into a signup form, checked against the form's design, and the bot checks.

Every field's problem is reported at once (``SubmissionError.errors``, keyed by field name), so
the form can mark each input ``aria-invalid`` and say why next to it.

Bots are recognised two ways, neither needing a captcha: a honeypot input that people never see
(``website``, hidden from sight and from screen readers) but form-filling bots fill, and a
minimum time between the form being shown and being sent. The time is measured by the server:
the storefront script receives a signed *ticket* when it records the form's view, and sends it
back with the submission. A bot is answered exactly as a shopper would be (``BotSubmission``
tells the edge to pretend), so it learns nothing to adapt to; nothing is stored for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from app.core.errors import StoreflowError
from app.core.text import storable
from app.forms.design import FormDesign
from app.ingest.contacts import normalize_phone

REGION = re.compile(r"[A-Z]{2}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")
HONEYPOT = "website"
MIN_SECONDS_TO_SUBMIT = 3  # people read a form before they send it; scripts post at once
TICKET_LIFETIME_SECONDS = 24 * 3600
TICKET_SALT = "storeflow-signup-form"
MAX_NAME = 100


class SubmissionError(StoreflowError, ValueError):
    """The submission cannot be accepted; ``errors`` says, per field, what to fix."""

    reason = "invalid_submission"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


class BotSubmission(StoreflowError):
    """The submission looks automated; answer it as a success and store nothing."""

    reason = "bot_submission"


@dataclass(frozen=True)
class Submission:
    email: str
    phone: str | None = None
    first_name: str | None = None
    birthday: str | None = None  # "MM-DD", as contacts keep it
    sms_consent: bool = False


def issue_ticket(secret_key: str, form_id: int, at: datetime) -> str:
    """Sign the instant the form was shown, for its submission to bring back."""
    return URLSafeSerializer(secret_key, salt=TICKET_SALT).dumps([form_id, int(at.timestamp())])


def check_ticket(secret_key: str, form_id: int, ticket: object, now: datetime) -> None:
    """Refuse a submission without a valid ticket for this form; take a too-quick one for a bot."""
    try:
        shown_form, shown_at = URLSafeSerializer(secret_key, salt=TICKET_SALT).loads(str(ticket))
    except (BadSignature, TypeError, ValueError) as exc:
        raise SubmissionError({"form": "this form has expired; reload the page and try again"}) from exc
    elapsed = now.timestamp() - shown_at
    if shown_form != form_id or elapsed > TICKET_LIFETIME_SECONDS:
        raise SubmissionError({"form": "this form has expired; reload the page and try again"})
    if elapsed < MIN_SECONDS_TO_SUBMIT:
        raise BotSubmission(f"sent {elapsed:.1f} s after it was shown")


def read_submission(design: FormDesign, body: Mapping[str, object]) -> Submission:
    """Check the submission against the design; raise ``BotSubmission`` or ``SubmissionError``."""
    if body.get(HONEYPOT):
        raise BotSubmission("the hidden field was filled in")
    errors: dict[str, str] = {}
    values = {name: _text(body, name, errors) for name in ("email", "phone", "first_name", "birthday")}
    for name in values:
        if not design.has(name):
            values[name] = ""
        elif design.required(name) and not values[name] and name not in errors:
            errors[name] = "this field is required"
    email = values["email"].lower()
    if email and (len(email) > 320 or not EMAIL.fullmatch(email)):
        errors["email"] = "enter a valid email address, like name@example.com"
    phone = normalize_phone(values["phone"], _region(body)) if values["phone"] else None
    if values["phone"] and phone is None:
        errors["phone"] = "enter a valid phone number, like +1 415 555 0199"
    first_name = values["first_name"]
    if len(first_name) > MAX_NAME:
        errors["first_name"] = f"keep it under {MAX_NAME} characters"
    birthday = _birthday(values["birthday"]) if values["birthday"] else None
    if values["birthday"] and birthday is None:
        errors["birthday"] = "enter a date like 04-23 (month-day)"
    sms_consent = body.get("sms_consent", False)
    if not isinstance(sms_consent, bool):
        errors["sms_consent"] = "must be true or false"
    elif sms_consent and phone is None and "phone" not in errors:
        errors["phone"] = "enter your phone number to get texts"
    if errors:
        raise SubmissionError(errors)
    return Submission(email, phone, first_name or None, birthday, bool(sms_consent) and design.has("phone"))


def _region(body: Mapping[str, object]) -> str | None:
    """The browser's region (from its language), for reading a number typed without its country code."""
    country = body.get("country")
    return country if isinstance(country, str) and REGION.fullmatch(country) else None


def _text(body: Mapping[str, object], name: str, errors: dict[str, str]) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "must be text"
        return ""
    return " ".join(storable(value).split())[:400]


def _birthday(value: str) -> str | None:
    """Read ``MM-DD`` or ``YYYY-MM-DD`` (a date input's value) as ``MM-DD``; None if not a real day."""
    match = re.fullmatch(r"(?:\d{4}-)?(\d{2})-(\d{2})", value)
    if match is None:
        return None
    month, day = int(match[1]), int(match[2])
    try:
        date(2000, month, day)  # a leap year: 02-29 is a birthday
    except ValueError:
        return None
    return f"{month:02d}-{day:02d}"
