"""Give each enrollment one discount code, created once on the platform however often we retry.

The code is chosen and stored (``discount_code``, unique per enrollment) and committed before the
platform is asked to create it. A retry, or a worker that died mid-call, finds the stored code and
asks again for that same code; the platform's "code already exists" is then taken as success. So a
shopper never gets two codes from one flow, and a code is never sent before the platform has it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.checkpoint import checkpoint
from app.db.models import DiscountCode, Enrollment, Shop
from app.db.models.discounts import CREATED, FAILED, PENDING
from app.discounts.errors import DiscountRefusedError, DiscountUnavailableError
from app.shops.platform import DiscountIssuer

log = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are typed by hand
CODE_LENGTH = 10
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DiscountResult:
    """The enrollment's code once the platform has it; else when to try again, or why there is none."""

    code: DiscountCode | None = None
    retry_at: datetime | None = None
    unavailable: str | None = None


def new_code(prefix: str = "SF") -> str:
    """Make a random code that is hard to guess and easy to type."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def stored_code(session: Session, enrollment_id: int) -> DiscountCode | None:
    return session.scalars(select(DiscountCode).filter_by(enrollment_id=enrollment_id)).first()


def ensure_code(
    session: Session,
    issuer: DiscountIssuer,
    shop: Shop,
    enrollment: Enrollment,
    percent: int,
    days: int,
    now: datetime,
) -> DiscountResult:
    """Return the enrollment's code, creating it on the platform first if it is not there yet."""
    code = stored_code(session, enrollment.id) or _store(session, enrollment, percent, days, now)
    if code.status == CREATED:
        return DiscountResult(code=code)
    if code.status == FAILED:
        return DiscountResult(unavailable=code.detail or "the platform refused the code")
    code.attempts += 1
    try:
        code.platform_id = issuer.create(shop, code)
    except DiscountUnavailableError as exc:
        if code.attempts >= MAX_ATTEMPTS:
            return _give_up(session, code, f"gave up after {code.attempts} attempts: {exc}")
        code.detail = str(exc)
        checkpoint(session)
        log.warning("discount %s for enrollment %s: will retry: %s", code.code, enrollment.id, exc)
        return DiscountResult(retry_at=now + timedelta(minutes=2**code.attempts))
    except DiscountRefusedError as exc:
        return _give_up(session, code, str(exc))
    code.status = CREATED
    code.detail = None
    checkpoint(session)
    log.info("discount %s (%d%%) created for enrollment %s", code.code, code.percent, enrollment.id)
    return DiscountResult(code=code)


def _store(session: Session, enrollment: Enrollment, percent: int, days: int, now: datetime) -> DiscountCode:
    """Choose the code and commit it before anyone calls the platform."""
    code = DiscountCode(
        shop_id=enrollment.shop_id,
        enrollment_id=enrollment.id,
        contact_id=enrollment.contact_id,
        flow_key=enrollment.flow_key,
        code=new_code(),
        percent=percent,
        expires_at=now + timedelta(days=days),
        status=PENDING,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(code)
    except IntegrityError:  # a concurrent run of the same step stored one first: use it
        found = stored_code(session, enrollment.id)
        assert found is not None
        return found
    checkpoint(session)
    return code


def _give_up(session: Session, code: DiscountCode, reason: str) -> DiscountResult:
    code.status = FAILED
    code.detail = reason
    checkpoint(session)
    log.error("discount %s not created: %s", code.code, reason)
    return DiscountResult(unavailable=reason)
