"""The marker that lets domain code name the words the admin shows without importing Flask.

``N_("Recover lost sales")`` returns its argument unchanged; Babel's extractor (``babel.cfg``) finds
the call, so the words land in the admin's catalogue, and the web edge translates the value when it
shows it (``app/web/i18n.py``). Domain code stays free of Flask and of any request's language.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a merchant-facing string for extraction; return it untranslated."""
    return message


class Phrase(str):
    """An English sentence built from a marked message and its arguments, which it remembers.

    Domain code says a sentence with values in it (``Phrase(N_("Variant %(name)s: ..."), name="B")``)
    and everything that reads it as a string (logs, tests, the English admin) gets the English; the
    web edge translates ``message`` and fills in ``args`` again (``app/web/i18n.py``'s ``translated``).
    """

    message: str
    args: dict[str, object]

    def __new__(cls, message: str, **args: object) -> Phrase:
        phrase = super().__new__(cls, message % args if args else message)
        phrase.message = message
        phrase.args = args
        return phrase
