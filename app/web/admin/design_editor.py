"""The email designer's model: a step's design (stored or a starter), the brand kit, and previews.

Designs are stored in ``FlowSetting.overrides["designs"][template]`` as the JSON
``app/design/document.py`` reads, and the step's design in another language beside them in
``overrides["design_translations"][language][template]``; the brand kit (one for every language)
in ``Shop.settings["brand"]``. A language's design starts as a copy of the step's own, so the
merchant only changes its words. What the sender does
with them, and when a Jinja override wins instead, is ``app/messaging/designed.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.core.locales import formatting_locale
from app.db import db
from app.db.models import FlowSetting, Shop
from app.design.brand import BRAND_KEY, FONTS, BrandKit, shop_brand
from app.design.document import Design, design_document, parse_design
from app.design.errors import DesignError
from app.design.render import DesignedEmail, render_design
from app.jobs.services import current_services
from app.messaging.designed import DESIGNS_KEY, jinja_body_edited, stored_design
from app.messaging.languages import (
    BODY_PARTS,
    design_translations,
    fallback_chain,
    language_template,
    merchant_translations,
    with_design_translation,
)
from app.messaging.render import render_subject, stored_overrides
from app.web.admin.sample_data import sample_context
from app.web.admin.step_languages import StepLanguages, language_strip
from app.web.admin.template_editor import shop_sends
from flows.definitions import Flow, Send


@dataclass(frozen=True)
class Designer:
    """What the designer page shows for one email step."""

    send: Send
    sends: tuple[Send, ...]
    document: dict[str, Any]
    saved: bool
    brand: BrandKit
    fonts: dict[str, str]
    preview: DesignedEmail | None
    # A developer's Jinja body for this step is sent instead of the design (see designed.py).
    jinja_wins: bool
    # The language being designed (None: the step itself) and the step's languages.
    language: str | None = None
    languages: StepLanguages | None = None


def email_sends(shop: Shop, flow: Flow) -> tuple[Send, ...]:
    """The flow's emails this shop can design, the own templates of its A/B variants included."""
    return tuple(send for send in shop_sends(shop, flow) if send.channel == "email")


def find_email_send(shop: Shop, flow: Flow, step: str) -> Send | None:
    return next((send for send in email_sends(shop, flow) if send.setting == step), None)


def designer_for(shop: Shop, flow: Flow, send: Send, language: str | None = None) -> Designer:
    """The designer of the step, or of its design in ``language`` (a copy of the step's until saved)."""
    overrides = _overrides(shop, flow)
    own = stored_design(overrides, send.template)
    stored = own if language is None else design_translations(overrides, send.template).get(language)
    document = stored or own or starter_document(flow, send)
    brand = shop_brand(shop.settings)
    try:
        preview: DesignedEmail | None = preview_design(
            shop, flow, send, parse_design(document), brand, language
        )
    except DesignError:  # a stored design that no longer reads still opens, to be fixed
        preview = None
    return Designer(
        send=send,
        sends=email_sends(shop, flow),
        document=document,
        saved=stored is not None,
        brand=brand,
        fonts={key: label for key, (label, _) in FONTS.items()},
        preview=preview,
        jinja_wins=_jinja_body_wins(overrides, send.template, language),
        language=language,
        languages=language_strip(shop, send.template, overrides, language),
    )


def _jinja_body_wins(overrides: dict[str, Any], template: str, language: str | None) -> bool:
    """True when a Jinja HTML or text part (of the step, or of its translation being designed) is sent
    instead of the design (``designed.py``, ``languages.py``)."""
    if language is None:
        return jinja_body_edited(overrides, template)
    parts = merchant_translations(overrides, template).get(language, {})
    return any(part in parts for part in BODY_PARTS)


def starter_document(flow: Flow, send: Send) -> dict[str, Any]:
    """A first design that says what the bundled template says, in blocks the merchant can change."""
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": f"{send.label}", "style": "heading"},
        {"type": "text", "text": "Hi {first_name},\n\nThanks for visiting {shop_name}."},
    ]
    if flow.subject in ("checkout", "cart", "order"):
        blocks.append({"type": "cart_lines", "show_total": True})
    label = {"checkout": "Return to checkout", "cart": "Back to your cart", "order": "View your order"}
    blocks.append(
        {"type": "button", "label": label.get(flow.subject, "Visit the shop"), "target": "recovery"}
    )
    if flow.blocks:
        blocks.append({"type": "product_grid", "source": "products", "columns": 2, "label": "Shop now"})
    if send.offers_discount:
        blocks.append({"type": "discount_code", "heading": "A little something for you"})
    blocks.append({"type": "divider"})
    return {"version": 1, "subject": "", "preheader": "", "blocks": blocks}


def preview_design(
    shop: Shop, flow: Flow, send: Send, design: Design, brand: BrandKit, language: str | None = None
) -> DesignedEmail:
    """Render the design with the store's sample data, as the template editor's preview does (money
    and days in the language's own way, an empty subject the language's template's)."""
    context = sample_context(db.session(), shop, flow, current_services().config.app_url)
    template = send.template
    if language is not None:
        context.update(lang=language, locale=formatting_locale(fallback_chain(language, None)))
        template = language_template(send.template, language)
    rendered = render_design(design, brand, context)
    if rendered.subject:
        return rendered
    overrides = _overrides(shop, flow)
    jinja = (
        stored_overrides(overrides, send.template)
        if language is None
        else merchant_translations(overrides, send.template).get(language, {})
    )
    subject = render_subject(template, context, jinja.get("subject"))
    return DesignedEmail(html=rendered.html, text=rendered.text, subject=subject)


def save_design(setting: FlowSetting, send: Send, design: Design | None, language: str | None = None) -> None:
    """Store the step's design (None removes it: the step goes back to its Jinja template); with a
    language, the step's design in it (None: that language's shoppers get its Jinja translation)."""
    if language is not None:
        document = design_document(design) if design is not None else None
        setting.overrides = with_design_translation(setting.overrides, send.template, language, document)
        return
    overrides = dict(setting.overrides or {})
    designs = dict(overrides.get(DESIGNS_KEY) or {})
    if design is None:
        designs.pop(send.template, None)
    else:
        designs[send.template] = design_document(design)
    overrides[DESIGNS_KEY] = designs
    setting.overrides = overrides


def save_brand(shop: Shop, brand: BrandKit) -> None:
    shop.settings = {**(shop.settings or {}), BRAND_KEY: brand.as_settings()}


def _overrides(shop: Shop, flow: Flow) -> dict[str, Any]:
    setting = db.session.scalars(select(FlowSetting).filter_by(shop_id=shop.id, flow_key=flow.key)).first()
    return dict(setting.overrides or {}) if setting else {}
