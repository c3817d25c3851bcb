"""The building blocks a flow is written in: waits, sends and checks, plus exit rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from flows.events import EventKind


class Purpose(StrEnum):
    """Marketing needs the contact's consent on the channel; transactional does not."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


class ExitScope(StrEnum):
    SUBJECT = "subject"  # the event names this enrollment's subject (the order of this checkout)
    CONTACT = "contact"  # the event is about the same shopper (any order since the flow began)


@dataclass(frozen=True)
class Wait:
    """Pause before the next step; ``setting`` names the delay a merchant may tune."""

    setting: str
    default: timedelta
    label: str
    minimum: timedelta = timedelta(minutes=5)
    maximum: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Send:
    """Send one rendered template on one channel; ``setting`` names its on/off switch."""

    setting: str
    channel: str
    template: str
    label: str
    enabled_by_default: bool = True


Step = Wait | Send


@dataclass(frozen=True)
class ExitRule:
    kind: EventKind
    scope: ExitScope = ExitScope.SUBJECT


@dataclass(frozen=True)
class Flow:
    """A prebuilt automation: what starts it, its steps, and what ends it early.

    ``guard`` names a condition re-checked right before every send; when it no longer holds the
    enrollment exits (e.g. the checkout was recovered through an order that arrived late).
    """

    key: str
    name: str
    description: str
    subject: str
    purpose: Purpose
    triggers: tuple[EventKind, ...]
    steps: tuple[Step, ...]
    rearm_on: tuple[EventKind, ...] = ()
    exit_on: tuple[ExitRule, ...] = ()
    guard: str | None = None
    enabled_by_default: bool = False
    notes: tuple[str, ...] = field(default=())

    def waits(self) -> tuple[Wait, ...]:
        return tuple(step for step in self.steps if isinstance(step, Wait))

    def sends(self) -> tuple[Send, ...]:
        return tuple(step for step in self.steps if isinstance(step, Send))

    def exit_kinds(self) -> frozenset[EventKind]:
        return frozenset(rule.kind for rule in self.exit_on)
