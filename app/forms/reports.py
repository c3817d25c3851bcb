"""How each signup form does (views, submissions, submit rate, subscribers), and where the list grows.

A form's *subscribers* are the contacts who signed up through it and are subscribed to email now:
a double opt-in signup counts once it is confirmed, and stops counting when the shopper leaves.
*List growth* counts the contacts who joined the email list (subscribed, or pending confirmation,
from not being on it) in a period, by the source of the ledger row that put them there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.core.facts import ConsentState
from app.db.models import ConsentChange, Contact, FormSubmission, SignupForm
from app.forms.signup import SOURCE_PREFIX

ON_THE_LIST = (ConsentState.SUBSCRIBED.value, ConsentState.PENDING.value)
# Sources by their prefix; the longest matching prefix names the group.
SOURCE_GROUPS = (
    (SOURCE_PREFIX, "Signup forms"),
    ("storefront:", "Storefront (notify me, push)"),
    ("shopify:checkout", "Checkout"),
    ("saleor:checkout", "Checkout"),
    ("storeflow:", "Storeflow"),
    ("admin", "Admin"),
)
PLATFORM = "Platform (customer records)"


@dataclass(frozen=True)
class FormFigures:
    views: int
    submissions: int
    subscribers: int

    @property
    def submit_rate(self) -> float | None:
        """Submissions per view; None before the form was ever shown."""
        return self.submissions / self.views if self.views else None


def form_figures(session: Session, shop_id: int) -> dict[int, FormFigures]:
    """Return each of the shop's forms' figures, by form id."""
    views = dict(session.execute(select(SignupForm.id, SignupForm.views).filter_by(shop_id=shop_id)).all())
    submitted = dict(
        session.execute(
            select(FormSubmission.form_id, func.count())
            .where(FormSubmission.shop_id == shop_id)
            .group_by(FormSubmission.form_id)
        ).all()
    )
    subscribed = dict(
        session.execute(
            select(FormSubmission.form_id, func.count(distinct(FormSubmission.contact_id)))
            .join(Contact, Contact.id == FormSubmission.contact_id)
            .where(
                FormSubmission.shop_id == shop_id,
                Contact.email_consent == ConsentState.SUBSCRIBED.value,
            )
            .group_by(FormSubmission.form_id)
        ).all()
    )
    return {
        form_id: FormFigures(int(count or 0), int(submitted.get(form_id, 0)), int(subscribed.get(form_id, 0)))
        for form_id, count in views.items()
    }


def list_growth(session: Session, shop_id: int, since: datetime) -> list[tuple[str, int]]:
    """Return (source group, contacts who joined the email list) since ``since``, largest first."""
    rows = session.execute(
        select(ConsentChange.source, func.count(distinct(ConsentChange.contact_id)))
        .where(
            ConsentChange.shop_id == shop_id,
            ConsentChange.channel == "email",
            ConsentChange.changed_at >= since,
            ConsentChange.state.in_(ON_THE_LIST),
            ConsentChange.previous.is_(None) | ConsentChange.previous.not_in(ON_THE_LIST),
        )
        .group_by(ConsentChange.source)
    ).all()
    growth: Counter[str] = Counter()
    for source, count in rows:
        growth[source_group(source)] += int(count)
    return sorted(growth.items(), key=lambda item: (-item[1], item[0]))


def source_group(source: str) -> str:
    """Name the group a consent source belongs to, as the overview shows it."""
    matches = [(prefix, group) for prefix, group in SOURCE_GROUPS if source.startswith(prefix)]
    return max(matches, key=lambda match: len(match[0]))[1] if matches else PLATFORM
