"""Messages: every message the flows sent or skipped, searchable, each with its status timeline."""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, Enrollment, Message
from app.db.models.messaging import FAILED, PENDING, SENDING, SENT, SKIPPED
from app.reports.earned import message_earned
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.decision_log import message_decisions
from app.web.admin.page import render_page
from app.web.admin.search import message_matches
from app.web.platforms import platform_of
from app.web.query_params import page_number
from flows.catalogue import CATALOGUE

PAGE_SIZE = 50
STATUSES = (SENT, PENDING, SENDING, SKIPPED, FAILED)


@bp.get("/messages")
def messages() -> tuple[str, int]:
    """List the shop's messages, newest first, filtered by a search and a status."""
    shop = current_shop()
    query = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "")
    flow = request.args.get("flow", "")
    statement = select(Message).where(Message.shop_id == shop.id)
    if query:
        statement = statement.where(message_matches(shop.id, query))
    if status in STATUSES:
        statement = statement.where(Message.status == status)
    if flow in CATALOGUE:
        statement = statement.where(Message.flow_key == flow)
    page = page_number()
    rows = db.session.scalars(
        statement.order_by(Message.created_at.desc(), Message.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return render_page(
        "admin/messages.html",
        messages=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        query=query,
        status_filter=status if status in STATUSES else "",
        flow=flow if flow in CATALOGUE else "",
        statuses=STATUSES,
        catalogue=CATALOGUE,
        filtered=bool(query or status in STATUSES or flow in CATALOGUE),
    )


@bp.get("/messages/<id:message_id>")
def message_detail(message_id: int) -> tuple[str, int]:
    """Show one message: its content, recipient, every status it went through and what it earned."""
    shop = current_shop()
    message = db.session.scalars(
        select(Message).where(Message.id == message_id, Message.shop_id == shop.id)
    ).first()
    if message is None:
        abort(404)
    return render_page(
        "admin/message.html",
        message=message,
        contact=db.session.get(Contact, message.contact_id),
        enrollment=db.session.get(Enrollment, message.enrollment_id),
        flow=CATALOGUE.get(message.flow_key),
        decisions=message_decisions(db.session(), message.id),
        earned=message_earned(db.session(), shop.id, message.id),
        order_link=lambda platform_id: platform_of(shop).order_admin_url(shop, platform_id),
    )
