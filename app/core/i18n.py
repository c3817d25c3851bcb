"""The marker that lets domain code name the words the admin shows without importing Flask.

``N_("Recover lost sales")`` returns its argument unchanged; Babel's extractor (``babel.cfg``) finds
the call, so the words land in the admin's catalogue, and the web edge translates the value when it
shows it (``app/web/i18n.py``). Domain code stays free of Flask and of any request's language.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a merchant-facing string for extraction; return it untranslated."""
    return message
