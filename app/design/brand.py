"""A shop's brand kit: logo, colours, font and footer, kept in ``Shop.settings["brand"]``.

The footer carries the store's postal address because CAN-SPAM (15 U.S.C. 7704(a)(5)) requires a
valid physical postal address in every commercial email; a kit without one still renders, and
``address_missing`` lets the admin say so wherever a designed email is edited.
Fonts are the ones every mail client has (no web fonts: Outlook and Gmail drop them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.design.errors import DesignError, Problem
from app.design.fields import FieldReader

BRAND_KEY = "brand"
# Safe email fonts: a label for the admin and the stack sent, ending in a generic family.
FONTS: dict[str, tuple[str, str]] = {
    "system": (
        "System (Helvetica, Segoe UI, Roboto)",
        "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif",
    ),
    "arial": ("Arial", "Arial,Helvetica,sans-serif"),
    "verdana": ("Verdana", "Verdana,Geneva,sans-serif"),
    "tahoma": ("Tahoma", "Tahoma,Verdana,sans-serif"),
    "trebuchet": ("Trebuchet MS", "'Trebuchet MS',Helvetica,sans-serif"),
    "georgia": ("Georgia", "Georgia,'Times New Roman',serif"),
    "times": ("Times New Roman", "'Times New Roman',Times,serif"),
    "courier": ("Courier New", "'Courier New',Courier,monospace"),
}
MAX_ADDRESS = 300
MAX_FOOTER = 500


@dataclass(frozen=True)
class BrandKit:
    logo_url: str = ""
    logo_width: int = 160
    background: str = "#f4f4f5"
    text: str = "#27272a"
    accent: str = "#18181b"
    link: str = "#1d4ed8"
    font: str = "system"
    address: str = ""
    footer: str = ""

    @property
    def font_stack(self) -> str:
        return FONTS[self.font][1]

    @property
    def on_accent(self) -> str:
        """Black or white, whichever reads better on the accent colour (WCAG relative luminance)."""
        return "#000000" if _luminance(self.accent) > 0.179 else "#ffffff"

    @property
    def address_missing(self) -> bool:
        """True when emails would go without the postal address CAN-SPAM requires."""
        return not self.address.strip()

    def as_settings(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_BRAND = BrandKit()


def parse_brand(data: Any) -> BrandKit:
    """Read a brand kit (the admin's form, the shop's settings); raise DesignError listing every problem."""
    problems: list[Problem] = []
    read = FieldReader(data, problems)
    kit = BrandKit(
        logo_url=read.link("logo_url"),
        logo_width=read.number("logo_width", 40, 600, DEFAULT_BRAND.logo_width),
        background=read.colour("background", DEFAULT_BRAND.background),
        text=read.colour("text", DEFAULT_BRAND.text),
        accent=read.colour("accent", DEFAULT_BRAND.accent),
        link=read.colour("link", DEFAULT_BRAND.link),
        font=read.choice("font", tuple(FONTS), DEFAULT_BRAND.font),
        address=read.text("address", MAX_ADDRESS),
        footer=read.text("footer", MAX_FOOTER),
    )
    if problems:
        raise DesignError(problems)
    return kit


def shop_brand(settings: dict[str, Any] | None) -> BrandKit:
    """The shop's brand kit; a stored kit that no longer reads (hand-edited) gives the defaults."""
    stored = (settings or {}).get(BRAND_KEY)
    if not stored:
        return DEFAULT_BRAND
    try:
        return parse_brand(stored)
    except DesignError:
        return DEFAULT_BRAND


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
