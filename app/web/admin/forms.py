"""Signup forms in the admin: the list with each form's figures, and the editor with its live preview.

A form is saved only when its whole design reads cleanly (``app/forms/design.py``), draft or
live, so the storefront never receives a design it cannot show. The preview asks the server to
read the draft as it stands (``/admin/forms/preview``) and draws it with the storefront's own
script, so what the merchant sees is what shoppers get.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.db.models import SignupForm
from app.db.models.forms import DRAFT, STATUSES
from app.forms.design import (
    FIELD_LABELS,
    FormDesign,
    FormDesignError,
    read_design,
    read_draft,
)
from app.forms.offer import welcome_offer
from app.forms.reports import FormFigures, form_figures
from app.jobs.services import current_services
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.confirmation import Question, ask, confirmed
from app.web.admin.form_editor import OPTIONAL_FIELDS, design_from_post, editor_values, form_name
from app.web.admin.page import admin_url, finish, render_page

log = logging.getLogger(__name__)

NO_FIGURES = FormFigures(0, 0, 0)


@bp.get("/forms")
def forms() -> tuple[str, int]:
    """List the shop's signup forms with their views, submissions, submit rate and subscribers."""
    shop = current_shop()
    listed = db.session.scalars(select(SignupForm).filter_by(shop_id=shop.id).order_by(SignupForm.id)).all()
    return render_page(
        "admin/forms.html",
        forms=listed,
        figures=form_figures(db.session(), shop.id),
        kinds={form.id: read_draft(form.design)[0].kind for form in listed},
    )


@bp.get("/forms/new")
def new_form() -> tuple[str, int]:
    """Open the editor on a new form with the default design."""
    return _editor(None, editor_values("", DRAFT, FormDesign()))


@bp.post("/forms")
def create_form() -> WerkzeugResponse | tuple[str, int]:
    """Create a form from the editor's post."""
    return _save(SignupForm(shop_id=current_shop().id))


@bp.get("/forms/<id:form_id>")
def form_detail(form_id: int) -> tuple[str, int]:
    """Show one form's figures and its editor."""
    form = _form_or_404(form_id)
    return _editor(form, editor_values(form.name, form.status, read_draft(form.design)[0]))


@bp.post("/forms/<id:form_id>")
def save_form(form_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Save the editor's changes to a form."""
    return _save(_form_or_404(form_id))


@bp.post("/forms/<id:form_id>/delete")
def delete_form(form_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Delete a form and its submissions; the contacts and their consent stay."""
    form = _form_or_404(form_id)
    if not confirmed():
        question = Question(
            title=gettext("Delete the form “%(name)s”?", name=form.name),
            consequence=gettext(
                "It disappears from your store and its figures are deleted; this cannot be undone. "
                "The shoppers who signed up through it keep their subscription."
            ),
            action=gettext("Delete form"),
            destructive=True,
        )
        return ask(question, admin_url("admin.form_detail", form_id=form.id))
    db.session.delete(form)
    db.session.commit()
    log.info("shop %s deleted signup form %s", form.shop_id, form_id)
    return finish("admin.forms", gettext("Form “%(name)s” deleted.", name=form.name))


@bp.post("/forms/preview")
def preview_form() -> ResponseReturnValue:
    """Read the editor's draft as it stands, for the live preview to draw."""
    design, errors = read_draft(design_from_post(request.form))
    offer = welcome_offer(db.session(), current_shop().id) if design.discount else None
    return jsonify(design=design.as_dict(), errors=errors, offer_percent=offer)


def _save(form: SignupForm) -> WerkzeugResponse | tuple[str, int]:
    post = request.form
    values: dict[str, Any] = dict(post.items())
    name, name_error = form_name(post)
    status = post.get("status", DRAFT)
    errors: dict[str, str] = {}
    design: FormDesign | None = None
    try:
        design = read_design(design_from_post(post))
    except FormDesignError as exc:
        errors.update(exc.errors)
    if name_error:
        errors["name"] = name_error
    if status not in STATUSES:
        errors["status"] = gettext("choose draft or live")
    if errors or design is None:
        return _editor(form if form.id else None, values, errors, status=400)
    form.name, form.status, form.design = name, status, design.as_dict()
    db.session.add(form)
    db.session.commit()
    log.info("shop %s saved signup form %s (%s)", form.shop_id, form.id, form.status)
    notice = (
        gettext("Form saved and live on your storefront.")
        if form.status != DRAFT
        else gettext("Form saved as a draft.")
    )
    return finish("admin.form_detail", notice, form_id=form.id)


def _editor(
    form: SignupForm | None, values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    shop = current_shop()
    figures = form_figures(db.session(), shop.id).get(form.id, NO_FIGURES) if form is not None else None
    return render_page(
        "admin/form_detail.html",
        status=status,
        form=form,
        values=values,
        errors=errors or {},
        figures=figures,
        optional_fields=[(name, FIELD_LABELS[name]) for name in OPTIONAL_FIELDS],
        email_label=FIELD_LABELS["email"],
        app_url=current_services().config.app_url,
    )


def _form_or_404(form_id: int) -> SignupForm:
    form = db.session.scalars(select(SignupForm).filter_by(id=form_id, shop_id=current_shop().id)).first()
    if form is None:
        abort(404)
    return form
