"""Ask before a consequential action (a flow that starts emailing shoppers, an unsubscribe, a
deletion), enforced on the server so it holds without JavaScript.

A form for such an action posts once without ``confirmed``: the view answers with a confirmation
page instead of acting. That page re-posts everything that was submitted plus ``confirmed=yes``.
With JavaScript, storeflow.js sends the first post itself and shows the page's question in a
modal (App Bridge's ``ui-modal`` when embedded in Shopify, a ``<dialog>`` elsewhere), so the
question, and the figures in it, come from one place whichever way the merchant answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import make_response, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app.web.admin.page import render_page

CONFIRMED_FIELD = "confirmed"
CONFIRMED_VALUE = "yes"
# storeflow.js tells a confirmation page from the page an action leads to by this header.
CONFIRMATION_HEADER = "Storeflow-Confirmation"


@dataclass(frozen=True)
class Question:
    """What the merchant is asked: a title, what will happen in plain words, and the action's name."""

    title: str
    consequence: str
    action: str
    destructive: bool = False


def confirmed() -> bool:
    """Tell whether this post carries the merchant's confirmation."""
    return request.form.get(CONFIRMED_FIELD) == CONFIRMED_VALUE


def ask(question: Question, back_url: str) -> WerkzeugResponse:
    """Answer a post that needs confirming with the question, re-posting what was submitted."""
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", CONFIRMED_FIELD)
    ]
    page, status = render_page(
        "admin/confirm.html",
        question=question,
        carried=carried,
        action_url=request.full_path.rstrip("?"),
        back_url=back_url,
    )
    response = make_response(page, status)
    response.headers[CONFIRMATION_HEADER] = "1"
    return response
