"""Render flow message templates (Jinja2): subject, text and HTML for email; text for SMS; title, body
and link for web push.

Templates live in ``flows/templates``. HTML is autoescaped, so a product titled ``<script>`` arrives
as text; undefined variables raise, so a broken template fails its message instead of sending
half a sentence.

A merchant may override any part of a template (stored in ``FlowSetting.overrides["templates"]``).
Overrides are compiled in a sandbox (``SandboxedEnvironment``): they see the same variables and
filters, can extend the bundled layout, and cannot reach Python internals. They are bounded too
(``app/messaging/template_limits.py``): all the parts of one message get half a second of wall
time, and no override may build huge numbers, strings or lists. Any failure of an override, whatever
Python raised, is a ``TemplatePartError``; it never stops a running flow: ``render`` then sends the
bundled template and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context as JinjaContext

from app.core.errors import StoreflowError
from app.core.locales import format_day, format_money
from app.messaging.gsm7 import plain_gsm7
from app.messaging.template_limits import BoundedSandbox, render_bounded, time_limit
from flows.ab import bundled_template

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "flows" / "templates"
OVERRIDES_KEY = "templates"
# The parts a merchant edits, per channel, and the file each one overrides.
PARTS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "text", "html"),
    "sms": ("text",),
    "push": ("title", "text", "url"),
}
SUFFIXES = {
    "subject": ".subject.txt",
    "text": ".txt",
    "html": ".html",
    "title": ".title.txt",
    "url": ".url.txt",
}
# Browsers cut a notification's title and body short; longer ones would only be truncated.
PUSH_TITLE_LIMIT = 80
PUSH_BODY_LIMIT = 240


class TemplateRenderError(StoreflowError, RuntimeError):
    """A template is missing or failed to render."""


class TemplatePartError(TemplateRenderError):
    """One part of a merchant's template is broken; says which part and, when known, which line."""

    def __init__(self, part: str, message: str, line: int | None = None) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"{part}: {where}{message}")
        self.part = part
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str | None = None
    html: str | None = None
    # The page a push notification opens when tapped.
    url: str | None = None
    # Why a merchant's override was set aside for the bundled template, when it was.
    fallback: str | None = None
    # What the merchant should know of a message that still goes (a designed email without an address).
    warning: str | None = None


@pass_context
def _money(context: JinjaContext, amount: Any, currency: str | None = None) -> str:
    """The ``money`` filter: the amount in the message's ``locale`` (from the context), e.g. "24,00 €"."""
    return format_money(amount, currency, context.get("locale"))


@pass_context
def _day(context: JinjaContext, value: date) -> str:
    """The ``day`` filter: a calendar day in the message's locale ("4. Dezember")."""
    return format_day(value, context.get("locale"))


def _environment(env_class: type[Environment] = Environment, autoescape: Any = None) -> Environment:
    env = env_class(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]) if autoescape is None else autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["money"] = _money
    env.filters["gsm7"] = plain_gsm7
    env.filters["day"] = _day
    return env


_ENV = _environment()
# Overrides are compiled from strings, which carry no file name to choose escaping by: one sandbox
# escapes (HTML), the other does not (subject, text, SMS).
_SANDBOX = {
    True: _environment(BoundedSandbox, autoescape=True),
    False: _environment(BoundedSandbox, autoescape=False),
}


def template_source(template: str, part: str) -> str:
    """Return the bundled source of one part of a template, as the editor starts from (an A/B
    variant's own template starts from its step's)."""
    return (TEMPLATE_DIR / f"{bundled_template(template)}{SUFFIXES[part]}").read_text()


def stored_overrides(overrides: Mapping[str, Any] | None, template: str) -> dict[str, str]:
    """Pick one template's overridden parts out of a flow setting's overrides."""
    stored = ((overrides or {}).get(OVERRIDES_KEY) or {}).get(template) or {}
    return {part: source for part, source in stored.items() if part in SUFFIXES and isinstance(source, str)}


def compile_part(part: str, source: str) -> Template:
    """Compile a merchant's part in the sandbox; raise TemplatePartError on a syntax error."""
    try:
        return _SANDBOX[part == "html"].from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplatePartError(part, exc.message or "syntax error", exc.lineno) from exc


def render(
    template: str, channel: str, context: dict[str, Any], overrides: Mapping[str, str] | None = None
) -> Rendered:
    """Render a flow template for a channel; a broken override falls back to the bundled template."""
    if overrides:
        try:
            return render_strict(template, channel, context, overrides)
        except TemplateRenderError as exc:
            return replace(render_strict(template, channel, context), fallback=str(exc))
    return render_strict(template, channel, context)


def render_subject(template: str, context: dict[str, Any], source: str | None = None) -> str:
    """Render only the subject of an email (a designed email's, when its design names none)."""
    with time_limit():
        if source is not None:
            try:
                return " ".join(_render_part(template, "subject", context, source).split())
            except TemplateRenderError:
                pass  # a broken override: the bundled subject, as ``render`` would send
        return " ".join(_render_part(template, "subject", context, None).split())


def render_strict(
    template: str, channel: str, context: dict[str, Any], overrides: Mapping[str, str] | None = None
) -> Rendered:
    """Render a flow template with the given overrides, raising on any error (previews, validation)."""
    with time_limit():
        out = {
            part: _render_part(template, part, context, (overrides or {}).get(part))
            for part in PARTS[channel]
        }
    if channel == "sms":
        return Rendered(text=out["text"].strip())
    if channel == "push":
        return Rendered(
            text=_clip(" ".join(out["text"].split()), PUSH_BODY_LIMIT),
            subject=_clip(" ".join(out["title"].split()), PUSH_TITLE_LIMIT),
            url=out["url"].strip() or None,
        )
    return Rendered(
        text=out["text"].strip() + "\n", subject=" ".join(out["subject"].split()), html=out["html"]
    )


def _clip(text: str, limit: int) -> str:
    """Shorten to the limit at a word, with an ellipsis, as a notification would show it."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _render_part(template: str, part: str, context: dict[str, Any], source: str | None) -> str:
    if source is None:
        try:
            return _ENV.get_template(f"{bundled_template(template)}{SUFFIXES[part]}").render(context)
        except TemplateError as exc:
            raise TemplateRenderError(f"{template} ({part}): {exc}") from exc
    compiled = compile_part(part, source)
    try:
        return render_bounded(compiled, context)
    except TemplateError as exc:
        raise TemplatePartError(part, exc.message or type(exc).__name__, _template_line(exc)) from exc
    except Exception as exc:  # whatever a merchant's code raised
        # OverflowError, ValueError, ZeroDivisionError, MemoryError, RecursionError: all the template's
        # doing, so all a template error (a 400 in the editor, the bundled template at send time).
        raise TemplatePartError(part, str(exc) or type(exc).__name__, _template_line(exc)) from exc


def _template_line(exc: BaseException) -> int | None:
    """Find the line of the merchant's template an error was raised on (Jinja rewrites tracebacks)."""
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
