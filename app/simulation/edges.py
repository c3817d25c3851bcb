"""Where the simulation differs from production, all at the edges: step jobs are remembered instead
of queued, messages are kept instead of sent, discount codes are made up instead of created, and
the live store's answers are kept for the run instead of in Redis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.core.clock import ManualClock
from app.core.config import Config
from app.db.models import DiscountCode, Shop
from app.messaging.channel import OutgoingMessage
from app.messaging.sender import MessageSender
from app.shops.platform import DiscountIssuer, PlatformDirectory
from app.storecheck.cache import RunCache


class KeepingChannel:
    """A channel that keeps what it is given instead of sending it."""

    provider = "simulation"

    def __init__(self) -> None:
        self.kept: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> str:
        self.kept.append(message)
        return f"simulated-{message.reference}"


class MadeUpDiscounts:
    """Stands in for the platform: a simulated discount code is stored (then rolled back), not created."""

    def create(self, shop: Shop, code: DiscountCode) -> str:
        return f"simulated-{code.code}"


class DryRunSender(MessageSender):
    """The production sender, handing every message to the keeping channel, whatever the shop uses."""

    def __init__(
        self,
        session: Session,
        clock: ManualClock,
        channel: KeepingChannel,
        config: Config,
        platforms: PlatformDirectory,
    ) -> None:
        super().__init__(session, clock, lambda shop, kind: channel, config, platforms, RunCache())

    def _discount_issuer(self, shop: Shop) -> DiscountIssuer:
        return MadeUpDiscounts()


class RecordingScheduler:
    """Remember each enrollment's next step job; the simulation runs them as the clock reaches them."""

    def __init__(self) -> None:
        self.jobs: dict[int, tuple[int, datetime]] = {}

    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        self.jobs[enrollment_id] = (run_token, due)

    def take(self, enrollment_id: int) -> tuple[int, datetime] | None:
        return self.jobs.pop(enrollment_id, None)
