"""The words the admin's scripts write (``app/static/admin/*.js``), translated on the server.

The scripts have no catalogue of their own: each page carries these words, translated into the
page's language, as JSON (``base.html``), and ``storeflowWord`` in ``storeflow.js`` looks a word up,
falling back to the English it was given. ``tests/test_admin_i18n.py`` checks each word here is one
the scripts write, and that the scripts ask for no word missing here.
"""

from __future__ import annotations

from flask_babel import gettext

from app.core.i18n import N_
from app.web.admin.blueprint import bp

SCRIPT_WORDS = (
    # storeflow.js: the confirmation and unsaved-edit modals, copy buttons, the template preview.
    N_("Cancel"),
    N_("Leave without saving?"),
    N_("You changed something on this page that is not saved yet. Leaving now discards it."),
    N_("Discard changes"),
    N_("The preview shows the last version that worked."),
    N_("Preview updated."),
    N_("Copied"),
    # designer.js: block names, their fields and choices, the block tools and the save status.
    N_("Text"),
    N_("Image"),
    N_("Button"),
    N_("Product grid"),
    N_("Cart lines"),
    N_("Discount code"),
    N_("Divider"),
    N_("Social links"),
    N_("Style"),
    N_("Paragraph"),
    N_("Heading"),
    N_("Alignment"),
    N_("Left"),
    N_("Centre"),
    N_("Image address (https://…)"),
    N_("Description (for screen readers)"),
    N_("Link (optional)"),
    N_("Width (px, up to 600)"),
    N_("Label"),
    N_("Leads to"),
    N_("The shopper's checkout, cart or order"),
    N_("Your store"),
    N_("An address you type"),
    N_("Address (for “an address you type”)"),
    N_("Products"),
    N_("The products this flow is about"),
    N_("Recommendations"),
    N_("Columns"),
    N_("Button label"),
    N_("Show the total"),
    N_("Up"),
    N_("Down"),
    N_("Remove"),
    N_("block"),
    N_("A line between the blocks above and below."),
    N_("Unsaved changes."),
    N_("Saving…"),
    N_("Design saved."),
    N_("Not saved: see the problems above."),
    N_("Sending…"),
)


@bp.app_context_processor
def script_words() -> dict[str, dict[str, str]]:
    """Give every admin page its scripts' words in the page's language."""
    return {"script_words": {word: gettext(word) for word in SCRIPT_WORDS}}
