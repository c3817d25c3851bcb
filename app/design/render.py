"""Render a design with a brand kit and a message's context into email HTML and its text part.

The HTML is table-based and 600 px wide at most; every rule is inlined into ``style`` attributes
by ``css-inline``, since Gmail and Outlook drop or ignore ``<style>`` for most rules, and a media
query that stacks product columns and widens buttons on phones (480 px and less) is added to the
head afterwards (a rule inside ``@media`` cannot be inlined; clients that honour it read it there).
The text part is derived from the HTML with ``html2text``, so the two never drift apart.

The dynamic blocks read the same context a Jinja template gets (``app/messaging/context.py``):
``products`` / ``recommendations`` for the product grid, the checkout's, cart's or order's
``line_items`` for the cart lines, ``discount`` for the code. A block with nothing to show renders
nothing. Text is escaped by Jinja's autoescape; the merge tags ``{first_name}``, ``{shop_name}``
and ``{order_name}`` are replaced after escaping, with escaped values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import html2text
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from app.core.locales import format_money
from app.core.text import storable
from app.design.brand import BrandKit
from app.design.document import Button, Design
from app.design.errors import DesignError, Problem
from app.design.words import FRAME_WORDS, frame_language

_ENV = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
_MERGE_TAG = re.compile(r"\{(first_name|shop_name|order_name)\}")
FIRST_NAME_FALLBACK = "there"
RESPONSIVE_CSS = """<style>
@media only screen and (max-width: 480px) {
  .outer { padding: 0 !important; }
  .container { border-radius: 0 !important; }
  .cell, .header, .footer { padding-left: 16px !important; padding-right: 16px !important; }
  .stack { display: block !important; width: 100% !important; box-sizing: border-box; }
  .button { display: block !important; }
}
</style>
"""
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_EMPTY_LINK = re.compile(r"\[\]\([^)]*\)")
NETWORK_NAMES = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X",
    "tiktok": "TikTok",
    "pinterest": "Pinterest",
    "youtube": "YouTube",
}


@dataclass(frozen=True)
class DesignedEmail:
    html: str
    text: str
    subject: str


def render_design(design: Design, brand: BrandKit, context: Mapping[str, Any]) -> DesignedEmail:
    """Render the design for one message; what the context lacks, the blocks leave out.

    Raises DesignError when the message's data cannot be shown (the sender then sends the bundled
    template and says why), never anything else.
    """
    try:
        return _render(design, brand, context)
    except (TemplateError, css_inline.InlineError, ValueError, TypeError, KeyError) as exc:
        raise DesignError([Problem("design", f"could not be rendered: {exc}")]) from exc


def _render(design: Design, brand: BrandKit, context: Mapping[str, Any]) -> DesignedEmail:
    tags = _merge_values(context)
    lang = frame_language(context.get("lang"))
    page = _ENV.get_template("designed.html").render(
        lang=lang,
        words=FRAME_WORDS[lang],
        design=design,
        brand=brand,
        shop=context["shop"],
        unsubscribe_url=context["unsubscribe_url"],
        products=context.get("products") or [],
        recommendations=context.get("recommendations") or [],
        lines=_lines(context),
        discount=context.get("discount"),
        button_url=lambda button: _button_url(button, context),
        paragraphs=lambda text: _paragraphs(text, tags),
        merge=lambda text: _merge(str(escape(text)), tags),
        money=lambda amount, currency: format_money(amount, currency, context.get("locale")),
        networks=NETWORK_NAMES,
        Markup=Markup,
    )
    html = _INLINER.inline(storable(page)).replace("</head>", RESPONSIVE_CSS + "</head>", 1)
    return DesignedEmail(html=html, text=text_part(html), subject=_merge_plain(design.subject, tags))


def text_part(html: str) -> str:
    """The plain-text version of the HTML: links written out after their words, no layout tables."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    # html2text runs the cells of an ignored table together ("ItemQtyPrice"): end each with a space.
    text = converter.handle(_CELL_END.sub(lambda end: " " + end.group(0), html))
    # A linked image leaves a link without words once images are left out.
    lines = "\n".join(line.strip() for line in _EMPTY_LINK.sub("", text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines).strip() + "\n"


def _merge_values(context: Mapping[str, Any]) -> dict[str, str]:
    order = context.get("order") or {}
    return {
        "first_name": (context.get("contact") or {}).get("first_name") or FIRST_NAME_FALLBACK,
        "shop_name": context["shop"].get("name") or "",
        "order_name": order.get("name") or "",
    }


def _merge(escaped: str, tags: Mapping[str, str]) -> Markup:
    return Markup(_MERGE_TAG.sub(lambda m: str(escape(tags[m.group(1)])), escaped))


def _merge_plain(text: str, tags: Mapping[str, str]) -> str:
    return _MERGE_TAG.sub(lambda m: tags[m.group(1)], text)


def _paragraphs(text: str, tags: Mapping[str, str]) -> list[Markup]:
    """Blank lines separate paragraphs; a single newline is a line break."""
    return [
        Markup("<br>").join(_merge(str(escape(line)), tags) for line in paragraph.split("\n"))
        for paragraph in re.split(r"\n\s*\n", text)
        if paragraph.strip()
    ]


def _lines(context: Mapping[str, Any]) -> dict[str, Any] | None:
    """The line items the message is about (checkout, cart or order) with their currency and total."""
    for name in ("checkout", "cart", "order"):
        subject = context.get(name)
        if subject and subject.get("line_items"):
            return {
                "items": subject["line_items"],
                "currency": subject.get("currency"),
                "total": subject.get("total_price"),
            }
    return None


def _button_url(button: Button, context: Mapping[str, Any]) -> str:
    """Where a button leads: the shopper's own link when asked for and known, else the shop."""
    shop_url = str(context["shop"].get("url") or "")
    if button.target == "custom":
        return button.url
    if button.target == "recovery":
        for name, key in (("checkout", "recovery_url"), ("cart", "recovery_url"), ("order", "status_url")):
            subject = context.get(name)
            if subject and subject.get(key):
                return str(subject[key])
    return shop_url
