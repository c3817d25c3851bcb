"""Render flow message templates (Jinja2): subject, plain text and HTML for email; text for SMS.

Templates live in ``flows/templates``. HTML is autoescaped, so a product titled ``<script>`` arrives
as text; undefined variables raise, so a broken template fails its message instead of sending
half a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "flows" / "templates"


class TemplateRenderError(RuntimeError):
    """A template is missing or failed to render."""


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str | None = None
    html: str | None = None


def _money(amount: Any, currency: str | None = None) -> str:
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(amount)
    return f"{value:,} {currency}".strip() if currency else f"{value:,}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["money"] = _money
    return env


_ENV = _environment()


def render(template: str, channel: str, context: dict[str, Any]) -> Rendered:
    """Render a flow template for a channel."""
    try:
        if channel == "sms":
            return Rendered(text=_ENV.get_template(f"{template}.txt").render(context).strip())
        subject = _ENV.get_template(f"{template}.subject.txt").render(context).strip()
        text = _ENV.get_template(f"{template}.txt").render(context).strip() + "\n"
        html = _ENV.get_template(f"{template}.html").render(context)
    except TemplateError as exc:
        raise TemplateRenderError(f"{template} ({channel}): {exc}") from exc
    return Rendered(text=text, subject=" ".join(subject.split()), html=html)
