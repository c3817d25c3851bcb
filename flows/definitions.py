"""The building blocks a flow is written in: waits, sends, actions and checks, plus exit rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from app.core.events import EventKind
from app.core.i18n import N_


class Purpose(StrEnum):
    """Marketing needs the contact's consent on the channel; transactional and requested do not.

    A requested message is one the shopper asked for (a back-in-stock alert they signed up for, the
    confirmation of their own subscription); like a transactional one it is exempt from smart sending.
    """

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    REQUESTED = "requested"


class Goal(StrEnum):
    """What a flow earns the store, so the admin groups flows by the merchant's aim, not by mechanics.

    Recover wins back a purchase the shopper started and left; convert turns a shown interest (a
    product watched, a wishlist, a new subscriber) into an order; retain brings buyers back for
    the next one; grow keeps the list itself healthy and growing (consent, re-engagement).
    """

    RECOVER = "recover"
    CONVERT = "convert"
    RETAIN = "retain"
    GROW = "grow"


GOAL_LABELS = {
    Goal.RECOVER: N_("Recover lost sales"),
    Goal.CONVERT: N_("Convert interest"),
    Goal.RETAIN: N_("Retain customers"),
    Goal.GROW: N_("Grow your list"),
}


class ExitScope(StrEnum):
    SUBJECT = "subject"  # the event names this enrollment's subject (the order of this checkout)
    CONTACT = "contact"  # the event is about the same shopper (any order since the flow began)


class ParamKind(StrEnum):
    NUMBER = "number"  # a whole number between minimum and maximum
    AMOUNT = "amount"  # a sum of money, 0 or more
    SWITCH = "switch"  # on or off
    CHOICE = "choice"  # one of ``choices``
    TEXT = "text"  # one line of text
    URL = "url"  # an http(s) link, or empty
    LINES = "lines"  # one entry a line, read by the parser named in ``entries`` (flows/params.py)


# The parameter by which a merchant picks which of a flow's triggers starts it.
TRIGGER_PARAM = "trigger"


@dataclass(frozen=True)
class Param:
    """A flow setting a merchant may tune besides delays and switches (a threshold, a link, a list).

    ``platform_defaults`` pairs a platform with the default a shop on it starts from, where what the
    platform's events tell makes another default the sensible one; other shops get ``default``.
    A flow whose ``TRIGGER_PARAM`` is a choice among its triggers (``EventKind`` values) starts
    only on the chosen one (``ResolvedSettings.triggers``, the ``chosen_trigger`` entry check).
    """

    setting: str
    label: str
    kind: ParamKind
    default: Any
    help: str = ""
    minimum: int = 0
    maximum: int = 1_000_000
    choices: tuple[tuple[str, str], ...] = ()
    entries: str | None = None
    platform_defaults: tuple[tuple[str, Any], ...] = ()

    def default_on(self, platform: str | None) -> Any:
        """Return the default for a shop on this platform."""
        return dict(self.platform_defaults).get(platform, self.default) if platform else self.default


@dataclass(frozen=True)
class Wait:
    """Pause before the next step; ``setting`` names the delay a merchant may tune.

    ``from_context`` names a value (seconds) the flow's entry stored on the enrollment that replaces
    the delay, e.g. replenishment waits as long as the bought product lasts.
    """

    setting: str
    default: timedelta
    label: str
    minimum: timedelta = timedelta(minutes=5)
    maximum: timedelta = timedelta(days=90)
    from_context: str | None = None


@dataclass(frozen=True)
class Send:
    """Send one rendered template on one channel; ``setting`` names its on/off switch.

    ``condition`` is the default split (flows/splits.py): the message goes only to enrollments it
    holds for, so two sends with opposite conditions are the two branches of a split. ``variant_b``
    names the template of the B side of an A/B test, sent to ``ab_percent`` of contacts. ``needs``
    names content blocks the message is pointless without (no product to show: not sent).
    """

    setting: str
    channel: str
    template: str
    label: str
    enabled_by_default: bool = True
    condition: str = ""
    variant_b: str | None = None
    ab_percent: int = 50
    offers_discount: bool = False
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Act:
    """Do something to the contact instead of messaging them (suppress, tag); switchable like a send."""

    setting: str
    action: str
    label: str
    enabled_by_default: bool = True
    condition: str = ""


Step = Wait | Send | Act


@dataclass(frozen=True)
class ExitRule:
    kind: EventKind
    scope: ExitScope = ExitScope.SUBJECT


@dataclass(frozen=True)
class Flow:
    """A prebuilt automation: what starts it, its steps, and what ends it early.

    ``subject`` is what an enrollment is about: ``checkout``, ``order`` and ``cart`` flows take the
    event's own subject; ``contact`` flows key on the shopper, so each shopper is in them once at a
    time (again after ``reentry_param`` days, when set); ``alert`` and ``date`` flows take the
    per-contact key their emitter made (one restock, one birthday a year).

    ``guard`` names a condition re-checked right before every send; when it no longer holds the
    enrollment exits (e.g. the checkout was recovered through an order that arrived late).
    ``exit_on`` rules end enrollments when their event arrives and are checked again at every step;
    ``exit_on_entering`` ends this flow when the shopper enters one of those flows.
    ``entry`` names a check (flows/entry.py) that decides, with the flow's settings, whether an
    event enrolls at all and what the enrollment keeps; ``blocks`` names the content its messages show.
    ``goal`` is what the flow earns the store (``Goal``), by which the admin groups the flows.
    ``runs_while_off`` names triggers that enroll even while the merchant has the flow switched
    off: a message the shopper's own request calls for (the confirmation of a form signup).
    How flows rank against each other for the contact budget is the shop's choice, by group
    (app/shops/flow_priority.py), not part of the definition.
    """

    key: str
    name: str
    description: str
    subject: str
    purpose: Purpose
    triggers: tuple[EventKind, ...]
    steps: tuple[Step, ...]
    goal: Goal
    rearm_on: tuple[EventKind, ...] = ()
    exit_on: tuple[ExitRule, ...] = ()
    exit_on_entering: tuple[str, ...] = ()
    guard: str | None = None
    entry: str | None = None
    reentry_param: str | None = None
    params: tuple[Param, ...] = ()
    blocks: tuple[str, ...] = ()
    runs_while_off: tuple[EventKind, ...] = ()
    enabled_by_default: bool = False
    theme: str = ""
    notes: tuple[str, ...] = field(default=())

    def waits(self) -> tuple[Wait, ...]:
        return tuple(step for step in self.steps if isinstance(step, Wait))

    def sends(self) -> tuple[Send, ...]:
        return tuple(step for step in self.steps if isinstance(step, Send))

    def editable_sends(self) -> tuple[Send, ...]:
        """Return every message a merchant can edit: each send, and the B side of each A/B test."""
        editable: list[Send] = []
        for send in self.sends():
            editable.append(send)
            if send.variant_b:
                editable.append(
                    Send(f"{send.setting}_b", send.channel, send.variant_b, f"{send.label}, variant B")
                )
        return tuple(editable)

    def switchable(self) -> tuple[Send | Act, ...]:
        """Return the steps a merchant switches on or off and may give a condition."""
        return tuple(step for step in self.steps if isinstance(step, Send | Act))

    def exit_kinds(self) -> frozenset[EventKind]:
        return frozenset(rule.kind for rule in self.exit_on)

    def param(self, setting: str) -> Param | None:
        return next((param for param in self.params if param.setting == setting), None)
