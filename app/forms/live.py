"""The forms a storefront may show: the shop's live ones, looked up within the shop."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import SignupForm
from app.db.models.forms import LIVE
from app.forms.design import FormDesign, FormDesignError, read_design

log = logging.getLogger(__name__)


def live_forms(session: Session, shop_id: int) -> Sequence[SignupForm]:
    return session.scalars(
        select(SignupForm).filter_by(shop_id=shop_id, status=LIVE).order_by(SignupForm.id)
    ).all()


def live_form(session: Session, shop_id: int, form_id: int) -> SignupForm | None:
    """Return the shop's live form with this id; a draft, another shop's or no form is None alike."""
    return session.scalars(select(SignupForm).filter_by(id=form_id, shop_id=shop_id, status=LIVE)).first()


def count_view(session: Session, form_id: int) -> None:
    """Add one view in the database itself, so concurrent views never overwrite each other."""
    session.execute(update(SignupForm).where(SignupForm.id == form_id).values(views=SignupForm.views + 1))


def shown_design(form: SignupForm) -> FormDesign | None:
    """Return the form's design, or None if it no longer reads (saved before a rule it breaks):
    such a form is kept off the storefront and logged, never answered with an error."""
    try:
        return read_design(form.design)
    except FormDesignError as exc:
        log.warning("signup form %s is not shown: its design no longer reads: %s", form.id, exc)
        return None
