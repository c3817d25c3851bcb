"""Keep an SMS in the GSM-7 alphabet, whose segment holds 160 characters.

One character outside it (a curly apostrophe, an en dash, a non-breaking space from a
product title) makes the carrier send the whole text as UCS-2, 70 characters a segment, so a text
that fit one segment costs three. The punctuation stores and editors type in place of plain ASCII
is swapped for its ASCII twin, as Twilio's Smart Encoding does; anything else (an emoji a merchant
chose, a letter of another script) stays, since it has no faithful twin.
"""

from __future__ import annotations

PLAIN = str.maketrans(
    {
        # quotation marks and primes
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        # dashes and minus, the ellipsis
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        # no-break, thin and narrow no-break spaces
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        # trade mark and registered signs
        "\u2122": "(TM)",
        "\u00ae": "(R)",
    }
)


def plain_gsm7(text: str) -> str:
    """Return the text with typographic punctuation replaced by the GSM-7 characters it stands for."""
    return text.translate(PLAIN)
