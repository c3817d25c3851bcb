"""The designed email's own words, in the message's language: the cart table's headings, the
discount line, the footer's reason and *Unsubscribe*.

The merchant types every block's words (and translates them in the designer, ``?lang=``); these
are the frame's, which nobody types, so a German design must not arrive with an English footer.
German is the one language besides English the catalogue ships (``flows/templates/de/``, whose
words these follow); a message in any other language gets the English frame.
"""

from __future__ import annotations

from typing import Any

from app.core.locales import language_of, normal_locale

FRAME_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "item": "Item",
        "qty": "Qty",
        "price": "Price",
        "total": "Total",
        "discount": "{percent}% off, one use",
        "until": ", until {expires}",
        "reason": "You're receiving this email because you subscribed to updates from {shop}.",
        "unsubscribe": "Unsubscribe",
    },
    "de": {
        "item": "Artikel",
        "qty": "Menge",
        "price": "Preis",
        "total": "Summe",
        "discount": "{percent} % Rabatt, einmal einlösbar",
        "until": ", bis {expires}",
        "reason": "Sie erhalten diese E-Mail, weil Sie Neuigkeiten von {shop} abonniert haben.",
        "unsubscribe": "Abmelden",
    },
}


def frame_language(lang: Any) -> str:
    """The language the frame is written in: the message's, when the frame has it, else English."""
    tag = normal_locale(lang)
    primary = language_of(tag) if tag else "en"
    return primary if primary in FRAME_WORDS else "en"
