"""Which version of a step's email is sent: a developer's Jinja, the merchant's design, or the bundled one.

The precedence, per step (``docs/email-designer.md``):

1. **Jinja override.** A step whose HTML or text part was edited in the template editor
   (``FlowSetting.overrides["templates"]``) renders that, as before: developers keep full control,
   and the designer says so on its page rather than silently winning.
2. **Design.** Otherwise a step the merchant designed (``FlowSetting.overrides["designs"]``) renders
   the design with the shop's brand kit. Its subject, when it has one, replaces the Jinja subject.
0. **Translation.** A shopper whose language the step is translated into (by the merchant or the
   catalogue, ``app/messaging/languages.py``) gets that translation, whatever else holds: the
   merchant's design in that language when they made one (else, or when it fails, the Jinja one).
3. **Bundled template.** Otherwise, and whenever a design fails to read or render, the bundled
   Jinja template, with the reason kept as the fallback (the message notes it, as for overrides).

A designed email sent while the brand kit has no postal address carries a warning, which the
sender notes on the message (its timeline in the admin) without holding it back. SMS and push have
no design: they always take the Jinja path. Whatever the source, the rendered message is sent the
same way: links vetted and tracked, List-Unsubscribe headers, an unsubscribe link in the footer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.design.brand import BrandKit
from app.design.document import parse_design
from app.design.errors import DesignError
from app.design.render import render_design
from app.messaging.languages import BODY_PARTS, LanguageChoice
from app.messaging.render import Rendered, render, render_subject, stored_overrides

DESIGNS_KEY = "designs"
NO_ADDRESS = "designed email sent without the store's postal address (CAN-SPAM): add it to the brand kit"


def stored_design(overrides: Mapping[str, Any] | None, template: str) -> dict[str, Any] | None:
    """The merchant's design of one template, as stored (JSON), or None."""
    design = ((overrides or {}).get(DESIGNS_KEY) or {}).get(template)
    return design if isinstance(design, dict) else None


def jinja_body_edited(overrides: Mapping[str, Any] | None, template: str) -> bool:
    """True when a developer's Jinja HTML or text of this template takes precedence over any design."""
    parts = stored_overrides(overrides, template)
    return any(part in parts for part in BODY_PARTS)


def render_message(
    template: str,
    channel: str,
    context: dict[str, Any],
    overrides: Mapping[str, Any] | None,
    brand: BrandKit,
    language: LanguageChoice | None = None,
) -> Rendered:
    """Render one step's message from the source that takes precedence (see the module's docstring).

    A shopper whose language the step is translated into gets the translation (``languages.py``).
    """
    if language is not None and not language.default:
        if language.design is not None and channel == "email":
            return _render_designed(language.template, language.design, context, language.parts, brand)
        return render(language.template, channel, context, language.parts)
    jinja = stored_overrides(overrides, template)
    design = stored_design(overrides, template) if channel == "email" else None
    if design is None or jinja_body_edited(overrides, template):
        return render(template, channel, context, jinja)
    return _render_designed(template, design, context, jinja, brand)


def _render_designed(
    template: str, design: dict[str, Any], context: dict[str, Any], jinja: Mapping[str, str], brand: BrandKit
) -> Rendered:
    """The design with the brand kit; the Jinja template (with the reason kept) when it fails."""
    try:
        designed = render_design(parse_design(design), brand, context)
    except DesignError as exc:
        return replace(render(template, "email", context, dict(jinja)), fallback=f"design: {exc}")
    subject = " ".join(designed.subject.split()) or render_subject(template, context, jinja.get("subject"))
    warning = NO_ADDRESS if brand.address_missing else None
    return Rendered(text=designed.text, subject=subject, html=designed.html, warning=warning)
