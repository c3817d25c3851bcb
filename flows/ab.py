"""A/B tests on message steps: 2-4 variants, their shares, and which one each contact gets.

The side comes from a hash of (flow, step, contact), not from a random draw stored somewhere, so a
retried step, a re-run job or a second enrollment of the same shopper gets the same variant, and
the shares converge on the configured percentages. The bucket (0-99) is mapped onto cumulative
shares with B first, then C and D, and A (the step as it stands) taking the rest: a two-variant
test with B at 30 % puts exactly the buckets below 30 on B, as the first A/B tests did, so no
shopper of the welcome series switched sides when tests gained more variants.

Once the rule (flows/ab_rule.py) declares a winner, every contact whose message is made from then
on gets the winner; messages already made keep their variant.

A test is stored in the flow's settings, ``overrides["ab_tests"][step setting]``::

    {"variants": [{"name": "A", "share": 50}, {"name": "B", "share": 50, "subject": "…",
      "content": true, "delay_minutes": 30}], "metric": "clicks", "minimum_sample": 100,
     "threshold": 95, "started_at": "…", "winner": null, "decided_at": null, "reason": null}

``content`` gives a variant its own template, ``{step template}~{letter}`` (``welcome_2~c``),
edited in the template editor or the email designer like any step's, and rendered from the step's
bundled template until the merchant changes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from app.core.errors import StoreflowError
from app.core.i18n import N_, Phrase
from flows.definitions import Flow, Send

A = "A"
B = "B"
NAMES = ("A", "B", "C", "D")
CLICKS = "clicks"
ORDERS = "orders"
METRICS = {CLICKS: N_("Clicks"), ORDERS: N_("Placed orders")}
TESTS_KEY = "ab_tests"
VARIANT_MARK = "~"  # a variant's own template: "welcome_2~c"
DEFAULT_MINIMUM_SAMPLE = 100
DEFAULT_THRESHOLD = 95
MAX_DELAY_MINUTES = 7 * 24 * 60


class ABTestError(StoreflowError, ValueError):
    """A merchant's A/B test was refused; ``problems`` names each field at fault."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Variant:
    """One side of a step's test: its share, and what it changes (subject, content, send delay)."""

    name: str | None  # None: the step has no A/B test
    template: str
    share: int = 100
    subject: str = ""
    delay: timedelta = timedelta(0)
    own_content: bool = False


@dataclass(frozen=True)
class ABTest:
    """A step's test: its variants, the metric and the gates of the winner rule, and its outcome."""

    step: str
    variants: tuple[Variant, ...]
    metric: str = CLICKS
    minimum_sample: int = DEFAULT_MINIMUM_SAMPLE
    threshold: int = DEFAULT_THRESHOLD  # percent
    started_at: datetime | None = None  # None: counts every send of the step (the preconfigured test)
    winner: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    preconfigured: bool = field(default=False, compare=False)

    def variant(self, name: str | None) -> Variant | None:
        return next((variant for variant in self.variants if variant.name == name), None)

    def decided(self, winner: str, at: datetime, reason: str) -> ABTest:
        return replace(self, winner=winner, decided_at=at, reason=reason)

    def stored(self) -> dict[str, Any]:
        """The test as ``overrides["ab_tests"]`` keeps it."""
        return {
            "variants": [
                {
                    "name": variant.name,
                    "share": variant.share,
                    "subject": variant.subject,
                    "content": variant.own_content,
                    "delay_minutes": int(variant.delay.total_seconds() // 60),
                }
                for variant in self.variants
            ],
            "metric": self.metric,
            "minimum_sample": self.minimum_sample,
            "threshold": self.threshold,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "winner": self.winner,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "reason": self.reason,
            # The reason's marked words and values, so the admin says it in its own language.
            "reason_words": _phrase_words(self.reason),
        }


def bucket(flow_key: str, step_setting: str, contact_id: int) -> int:
    """Return the contact's stable bucket (0-99) for this step's test."""
    digest = hashlib.sha256(f"{flow_key}:{step_setting}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def variant_for(flow_key: str, step: Send, contact_id: int, test: ABTest | None) -> Variant:
    """Pick the variant this contact gets: the winner once there is one, else by the shares."""
    if test is None:
        return Variant(None, step.template)
    if test.winner is not None:
        won = test.variant(test.winner)
        if won is not None:
            return won
    position = bucket(flow_key, step.setting, contact_id)
    edge = 0
    for variant in (*test.variants[1:], test.variants[0]):
        edge += variant.share
        if position < edge:
            return variant
    return test.variants[0]


def variant_hold(made_at: datetime, variant: Variant | None) -> datetime | None:
    """When a variant with an extra send delay may go: that long after its step was reached."""
    if variant is None or not variant.delay:
        return None
    return made_at + variant.delay


def ab_facts(test: ABTest | None) -> dict[str, Any]:
    """What the decision log notes of a send's test besides its variant (``sent_facts``): running,
    or the winner every shopper now gets, since when and why."""
    if test is None:
        return {}
    if test.winner is not None and test.decided_at is not None:
        state = f"winner {test.winner} chosen {test.decided_at.isoformat()}: {test.reason}"
    else:
        state = "running"
    return {"ab_test": state}


def variant_template(step: Send, name: str) -> str:
    """The template a variant with its own content is made from (A is always the step's own; a
    catalogue step's B template stays its B)."""
    if name == A:
        return step.template
    if name == B and step.variant_b:
        return step.variant_b
    return f"{step.template}{VARIANT_MARK}{name.lower()}"


def bundled_template(template: str) -> str:
    """The bundled template a variant's own template starts from (``welcome_2~c`` → ``welcome_2``)."""
    return template.split(VARIANT_MARK, 1)[0]


def preconfigured_test(step: Send, percent_b: int) -> ABTest | None:
    """The test a catalogue step ships with (a B template), at the shop's B share."""
    if step.variant_b is None:
        return None
    return ABTest(
        step.setting,
        (
            Variant(A, step.template, 100 - percent_b),
            Variant(B, step.variant_b, percent_b, own_content=True),
        ),
        preconfigured=True,
    )


def restore_test(step: Send, stored: Any) -> ABTest | None:
    """Read a stored test back; one that no longer reads (reshaped since) means no test."""
    if not isinstance(stored, Mapping):
        return None
    try:
        test = clean_test(step, stored)
    except (ABTestError, TypeError, ValueError, KeyError):
        return None
    return replace(
        test,
        started_at=_instant(stored.get("started_at")),
        winner=stored.get("winner") if test.variant(stored.get("winner")) else None,
        decided_at=_instant(stored.get("decided_at")),
        reason=_stored_reason(stored.get("reason"), stored.get("reason_words")),
    )


def _phrase_words(reason: str | None) -> dict[str, Any] | None:
    if not isinstance(reason, Phrase):
        return None
    return {"message": reason.message, "args": reason.args}


def _stored_reason(reason: Any, words: Any) -> str | None:
    """The stored reason, as the ``Phrase`` it was made from when its words were stored with it."""
    if not isinstance(reason, str):
        return None
    if (
        isinstance(words, Mapping)
        and isinstance(words.get("message"), str)
        and isinstance(words.get("args"), Mapping)
    ):
        try:
            return Phrase(words["message"], **words["args"])
        except (KeyError, TypeError, ValueError):
            return reason
    return reason


def clean_test(step: Send, submitted: Mapping[str, Any]) -> ABTest:
    """Validate a test as a merchant submitted it (or as stored); raise ABTestError naming each field."""
    problems: dict[str, str] = {}
    raw_variants = submitted.get("variants") or []
    variants: list[Variant] = []
    for index, raw in enumerate(raw_variants[: len(NAMES)]):
        name = NAMES[index]
        share = _whole(
            raw.get("share"),
            0,
            100,
            f"share_{name}",
            N_("Variant %(name)s: the share must be a whole number from %(low)d to %(high)d"),
            problems,
            name=name,
        )
        delay = _whole(
            raw.get("delay_minutes") or 0,
            0,
            MAX_DELAY_MINUTES,
            f"delay_{name}",
            N_("Variant %(name)s: the extra delay (minutes) must be a whole number from %(low)d to %(high)d"),
            problems,
            name=name,
        )
        subject = str(raw.get("subject") or "").strip()
        own = bool(raw.get("content")) and name != A
        template = variant_template(step, name) if own else step.template
        if subject and step.channel == "sms":
            problems[f"subject_{name}"] = Phrase(
                N_("Variant %(name)s: an SMS has no subject; give it its own text instead"), name=name
            )
        variants.append(Variant(name, template, share or 0, subject, timedelta(minutes=delay or 0), own))
    if not 2 <= len(variants) <= len(NAMES):
        problems["variants"] = N_("A test needs 2 to 4 variants")
    elif not problems and sum(variant.share for variant in variants) != 100:
        problems["variants"] = Phrase(N_("The shares must add up to %(total)d %%"), total=100)
    elif not problems and not all(_differs(variant) for variant in variants[1:]):
        problems["variants"] = N_(
            "Each variant other than A must change the subject, the content or the delay"
        )
    metric = submitted.get("metric", CLICKS)
    if metric not in METRICS:
        problems["metric"] = N_("Choose clicks or placed orders")
    minimum = _whole(
        submitted.get("minimum_sample"),
        1,
        1_000_000,
        "minimum_sample",
        N_("The minimum sample must be a whole number from %(low)d to %(high)d"),
        problems,
    )
    threshold = _whole(
        submitted.get("threshold"),
        50,
        99,
        "threshold",
        N_("The probability threshold must be a whole number from %(low)d to %(high)d"),
        problems,
    )
    if problems:
        raise ABTestError(problems)
    return ABTest(step.setting, tuple(variants), str(metric), minimum or 0, threshold or 0)


def _differs(variant: Variant) -> bool:
    return bool(variant.subject or variant.own_content or variant.delay)


def _whole(
    value: Any, low: int, high: int, key: str, problem: str, problems: dict[str, str], **args: object
) -> int | None:
    text = str(value if value is not None else "").strip()
    if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
        problems[key] = Phrase(problem, low=low, high=high, **args)
        return None
    return int(text)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def step_tests(
    sends: tuple[Send, ...], overrides: Mapping[str, Any] | None, ab_percent: dict[str, int]
) -> dict[str, ABTest]:
    """Resolve every step's test: the merchant's, else the one the catalogue step ships with."""
    stored = (overrides or {}).get(TESTS_KEY) or {}
    tests: dict[str, ABTest] = {}
    for send in sends:
        test = restore_test(send, stored.get(send.setting)) if send.setting in stored else None
        if test is None and send.setting not in stored:
            test = preconfigured_test(send, ab_percent.get(send.setting, send.ab_percent))
        if test is not None:
            tests[send.setting] = test
    return tests


def variant_sends(step: Send, test: ABTest | None) -> tuple[Send, ...]:
    """The variants with their own content, as sends the template editor and the designer can open."""
    if test is None:
        return ()
    return tuple(
        Send(
            f"{step.setting}_{variant.name.lower()}",
            step.channel,
            variant.template,
            f"{step.label}, variant {variant.name}",
        )
        for variant in test.variants
        if variant.name and variant.name != A and variant.template != step.template
    )


def editable_sends(flow: Flow, tests: Mapping[str, ABTest]) -> tuple[Send, ...]:
    """Every message of the flow a merchant can edit: each send, then its variants' own templates."""
    own = flow.editable_sends()
    known = {send.setting for send in own}
    editable: list[Send] = []
    for send in own:
        editable.append(send)
        test = tests.get(send.setting)
        editable.extend(extra for extra in variant_sends(send, test) if extra.setting not in known)
    return tuple(editable)
