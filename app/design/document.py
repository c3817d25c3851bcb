"""A designed email as data: a subject, a preheader and an ordered list of blocks, read from JSON.

The admin edits this JSON and the sender renders it, so it is validated here, once, for both:
every field has a type and a bound, every link is http(s), and every problem is reported at once
with its block. A stored design is read again before each render, so one saved before a rule
tightened cannot reach a shopper unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.design.errors import DesignError, Problem
from app.design.fields import FieldReader

MAX_BLOCKS = 40
MAX_TEXT = 5_000
MAX_LABEL = 80
MAX_SUBJECT = 200
MAX_SOCIAL = 8
ALIGNS = ("left", "center")
TEXT_STYLES = ("paragraph", "heading")
PRODUCT_SOURCES = ("products", "recommendations")
# Where a button leads: the shopper's own link (checkout or cart recovery, order status), the shop, or
# an address the merchant typed.
BUTTON_TARGETS = ("recovery", "shop", "custom")
NETWORKS = ("instagram", "facebook", "x", "tiktok", "pinterest", "youtube")


@dataclass(frozen=True)
class Text:
    text: str
    style: str = "paragraph"
    align: str = "left"
    kind: str = "text"


@dataclass(frozen=True)
class Image:
    src: str
    alt: str = ""
    href: str = ""
    width: int = 600
    kind: str = "image"


@dataclass(frozen=True)
class Button:
    label: str
    target: str = "recovery"
    url: str = ""
    align: str = "center"
    kind: str = "button"


@dataclass(frozen=True)
class ProductGrid:
    source: str = "products"
    columns: int = 2
    label: str = "Shop now"
    kind: str = "product_grid"


@dataclass(frozen=True)
class CartLines:
    show_total: bool = True
    kind: str = "cart_lines"


@dataclass(frozen=True)
class DiscountCode:
    heading: str = "A little something for you"
    kind: str = "discount_code"


@dataclass(frozen=True)
class Divider:
    kind: str = "divider"


@dataclass(frozen=True)
class SocialLink:
    network: str
    url: str


@dataclass(frozen=True)
class Social:
    links: tuple[SocialLink, ...] = ()
    kind: str = "social"


Block = Text | Image | Button | ProductGrid | CartLines | DiscountCode | Divider | Social


@dataclass(frozen=True)
class Design:
    blocks: tuple[Block, ...]
    subject: str = ""
    preheader: str = ""
    version: int = 1


def _text(read: FieldReader) -> Text:
    return Text(
        read.text("text", MAX_TEXT, required=True),
        read.choice("style", TEXT_STYLES, "paragraph"),
        read.choice("align", ALIGNS, "left"),
    )


def _image(read: FieldReader) -> Image:
    return Image(
        read.link("src", required=True),
        read.text("alt", MAX_LABEL * 2),
        read.link("href"),
        read.number("width", 40, 600, 600),
    )


def _button(read: FieldReader) -> Button:
    target = read.choice("target", BUTTON_TARGETS, "recovery")
    url = read.link("url", required=target == "custom")
    return Button(
        read.text("label", MAX_LABEL, required=True), target, url, read.choice("align", ALIGNS, "center")
    )


def _product_grid(read: FieldReader) -> ProductGrid:
    return ProductGrid(
        read.choice("source", PRODUCT_SOURCES, "products"),
        read.number("columns", 1, 2, 2),
        read.text("label", MAX_LABEL) or "Shop now",
    )


def _cart_lines(read: FieldReader) -> CartLines:
    return CartLines(read.flag("show_total", True))


def _discount_code(read: FieldReader) -> DiscountCode:
    return DiscountCode(read.text("heading", MAX_LABEL) or DiscountCode.heading)


def _divider(read: FieldReader) -> Divider:
    return Divider()


def _social(read: FieldReader) -> Social:
    raw = read.data.get("links")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        read.refuse("links", "must be a list")
        return Social()
    if len(raw) > MAX_SOCIAL:
        read.refuse("links", f"may hold at most {MAX_SOCIAL} links")
        raw = raw[:MAX_SOCIAL]
    links = []
    for item in raw:
        entry = FieldReader(item, read.problems, read.block)
        network = entry.choice("network", NETWORKS, "")
        url = entry.link("url", required=True)
        if network and url:
            links.append(SocialLink(network, url))
    return Social(tuple(links))


READERS: dict[str, Callable[[FieldReader], Block]] = {
    "text": _text,
    "image": _image,
    "button": _button,
    "product_grid": _product_grid,
    "cart_lines": _cart_lines,
    "discount_code": _discount_code,
    "divider": _divider,
    "social": _social,
}
KINDS = tuple(READERS)


def parse_design(data: Any) -> Design:
    """Read a design from JSON data; raise DesignError listing every problem, each with its block."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise DesignError([Problem("design", "must be an object with blocks")])
    read = FieldReader(data, problems)
    subject = read.text("subject", MAX_SUBJECT)
    preheader = read.text("preheader", MAX_SUBJECT)
    raw = data.get("blocks")
    if not isinstance(raw, list):
        raise DesignError([*problems, Problem("blocks", "must be a list of blocks")])
    if len(raw) > MAX_BLOCKS:
        problems.append(Problem("blocks", f"a message may hold at most {MAX_BLOCKS} blocks"))
        raw = raw[:MAX_BLOCKS]
    blocks: list[Block] = []
    for index, item in enumerate(raw):
        kind = item.get("type") if isinstance(item, dict) else None
        reader = READERS.get(kind) if isinstance(kind, str) else None
        if reader is None:
            problems.append(Problem("type", f"must be one of {', '.join(KINDS)}", index))
            continue
        blocks.append(reader(FieldReader(item, problems, index)))
    if not blocks and not problems:
        problems.append(Problem("blocks", "add at least one block"))
    if problems:
        raise DesignError(problems)
    return Design(tuple(blocks), subject, preheader)


def design_document(design: Design) -> dict[str, Any]:
    """The JSON stored for a design (what ``parse_design`` reads back)."""
    return {
        "version": design.version,
        "subject": design.subject,
        "preheader": design.preheader,
        "blocks": [_block_document(block) for block in design.blocks],
    }


def _block_document(block: Block) -> dict[str, Any]:
    values: dict[str, Any] = {"type": block.kind}
    for name, value in vars(block).items():
        if name == "kind":
            continue
        if isinstance(block, Social) and name == "links":
            value = [{"network": link.network, "url": link.url} for link in block.links]
        values[name] = value
    return values
