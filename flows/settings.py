"""A shop's tuning of a flow: validated overrides on top of the flow's defaults.

Stored overrides look like ``{"delays": {"first_delay": 7200}, "steps": {"sms": false},
"params": {"discount_percent": 15}, "conditions": {"email": "order_count = 0"}, "ab": {"email": 30},
"holdout": 10}``; delays are seconds, ``ab`` is the share (percent) of contacts sent the B variant
of a catalogue step's own test, ``ab_tests`` the merchant's A/B tests (``flows/ab.py``),
``holdout`` the share (percent, 0-50) of enrollments sent nothing (``flows/holdout.py``; never for
flows whose messages the shopper asked for). Validation happens
when a merchant saves, so a running enrollment never meets a bad value; resolution tolerates stale
keys and values (a setting removed or reshaped in a later release falls back to its default).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import StoreflowError
from app.core.events import EventKind
from app.db.models import FlowSetting, Shop
from app.db.reads import remembered
from flows.ab import ABTest, step_tests
from flows.catalogue import CATALOGUE
from flows.definitions import TRIGGER_PARAM, Act, Flow, Purpose, Send, Wait
from flows.holdout import MAX_HOLDOUT_PERCENT
from flows.params import ParamError, clean, restore
from flows.splits import Condition, ConditionError, parse


class FlowSettingsError(StoreflowError, ValueError):
    """A merchant's flow settings were refused; the message says which value and why.

    ``problems`` has one entry per refused value, keyed by its section and setting
    (``delays.first_delay``, ``holdout``), so a form can show every error next to its field at once.
    """

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


@dataclass(frozen=True)
class ResolvedSettings:
    flow: Flow
    enabled: bool
    delays: dict[str, timedelta]
    steps_enabled: dict[str, bool]
    params: dict[str, Any]
    conditions: dict[str, str]
    ab_percent: dict[str, int]
    holdout_percent: int = 0
    ab_tests: dict[str, ABTest] = field(default_factory=dict)

    def delay(self, wait: Wait) -> timedelta:
        return self.delays[wait.setting]

    def step_enabled(self, step: Send | Act) -> bool:
        return self.steps_enabled[step.setting]

    def param(self, name: str) -> Any:
        return self.params[name]

    def triggers(self) -> tuple[EventKind, ...]:
        """The events that start the flow for this shop: the one chosen, when the flow offers a choice."""
        if self.flow.param(TRIGGER_PARAM) is None:
            return self.flow.triggers
        return tuple(kind for kind in self.flow.triggers if kind.value == self.params[TRIGGER_PARAM])

    def condition(self, step: Send | Act) -> Condition:
        """Return the step's split condition (validated on save; a stale one means "always")."""
        try:
            return parse(self.conditions[step.setting])
        except ConditionError:
            return Condition()


FLOW_SETTING_ROWS = "flow_setting_rows"  # (shop id, flow key) → the stored row, for shared reads
RESOLVED_SETTINGS = "resolved_settings"  # (shop id, flow key) → its resolved settings


def resolve(
    flow: Flow, enabled: bool | None, overrides: dict[str, Any] | None, platform: str | None = None
) -> ResolvedSettings:
    """Merge stored overrides onto the flow's defaults (for a shop on ``platform``, when given)."""
    overrides = overrides or {}
    delays = {wait.setting: wait.default for wait in flow.waits()}
    for name, seconds in (overrides.get("delays") or {}).items():
        if name in delays and isinstance(seconds, int | float):
            delays[name] = timedelta(seconds=seconds)
    steps = {step.setting: step.enabled_by_default for step in flow.switchable()}
    for name, on in (overrides.get("steps") or {}).items():
        if name in steps and isinstance(on, bool):
            steps[name] = on
    params = {param.setting: param.default_on(platform) for param in flow.params}
    for name, value in (overrides.get("params") or {}).items():
        param = flow.param(name)
        if param is not None:
            with suppress(ParamError, TypeError, KeyError):  # reshaped since it was saved: the default stands
                params[name] = restore(param, value)
    conditions = {step.setting: step.condition for step in flow.switchable()}
    for name, text in (overrides.get("conditions") or {}).items():
        if name in conditions and isinstance(text, str):
            conditions[name] = text
    ab = {send.setting: send.ab_percent for send in flow.sends() if send.variant_b}
    for name, percent in (overrides.get("ab") or {}).items():
        if name in ab and isinstance(percent, int) and 0 <= percent <= 100:
            ab[name] = percent
    holdout = overrides.get("holdout")
    if (
        not (isinstance(holdout, int) and 0 <= holdout <= MAX_HOLDOUT_PERCENT)
        or flow.purpose == Purpose.REQUESTED
    ):
        holdout = 0
    return ResolvedSettings(
        flow=flow,
        enabled=flow.enabled_by_default if enabled is None else enabled,
        delays=delays,
        steps_enabled=steps,
        params=params,
        conditions=conditions,
        ab_percent=ab,
        holdout_percent=holdout,
        ab_tests=step_tests(flow.sends(), overrides, ab),
    )


def validate_overrides(
    flow: Flow,
    delays: dict[str, Any],
    steps: dict[str, Any],
    params: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    ab: dict[str, Any] | None = None,
    holdout: Any = None,
) -> dict[str, Any]:
    """Check submitted delays (seconds), switches, parameters, conditions, A/B and holdout shares.

    Every value is checked before anything is refused, so the error names all that is wrong.
    """
    problems: dict[str, str] = {}
    tuned: dict[str, Any] = {
        "delays": _each(flow, "delays", delays, _delay, problems),
        "steps": _each(flow, "steps", steps, _step, problems),
        "params": _each(flow, "params", params or {}, _param, problems),
        "conditions": _each(flow, "conditions", conditions or {}, _condition, problems),
    }
    if ab is not None:  # None: leave the stored shares as they are
        tuned["ab"] = _each(flow, "ab", ab, _ab_share, problems)
    if holdout is not None:
        try:
            tuned["holdout"] = _holdout(flow, holdout)
        except FlowSettingsError as exc:
            problems["holdout"] = str(exc)
    if problems:
        raise FlowSettingsError("; ".join(problems.values()), problems)
    return tuned


def _each(
    flow: Flow,
    section: str,
    values: dict[str, Any],
    check: Callable[[Flow, str, Any], Any],
    problems: dict[str, str],
) -> dict[str, Any]:
    """Check each value of a section, noting every refusal under ``section.name``."""
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        try:
            cleaned[name] = check(flow, name, value)
        except FlowSettingsError as exc:
            problems[f"{section}.{name}"] = str(exc)
    return cleaned


def _delay(flow: Flow, name: str, value: Any) -> int:
    wait = next((wait for wait in flow.waits() if wait.setting == name), None)
    if wait is None:
        raise FlowSettingsError(f"{flow.name}: there is no delay called {name!r}")
    try:
        seconds = int(value)
    except (TypeError, ValueError, OverflowError):
        raise FlowSettingsError(f"{wait.label}: {value!r} is not a whole number of seconds") from None
    if not wait.minimum.total_seconds() <= seconds <= wait.maximum.total_seconds():
        raise FlowSettingsError(
            f"{wait.label}: must be between {human(wait.minimum)} and {human(wait.maximum)}"
        )
    return seconds


def _step(flow: Flow, name: str, value: Any) -> bool:
    if name not in {step.setting for step in flow.switchable()}:
        raise FlowSettingsError(f"{flow.name}: there is no step called {name!r}")
    if not isinstance(value, bool):
        raise FlowSettingsError(f"{flow.name}: step {name!r} must be switched on or off")
    return value


def _param(flow: Flow, name: str, value: Any) -> Any:
    param = flow.param(name)
    if param is None:
        raise FlowSettingsError(f"{flow.name}: there is no setting called {name!r}")
    try:
        return clean(param, value)
    except ParamError as exc:
        raise FlowSettingsError(str(exc)) from None


def _condition(flow: Flow, name: str, text: Any) -> str:
    step = next((step for step in flow.switchable() if step.setting == name), None)
    if step is None:
        raise FlowSettingsError(f"{flow.name}: there is no step called {name!r}")
    if not isinstance(text, str):
        raise FlowSettingsError(f"{step.label}: the condition must be text")
    try:
        parse(text)
    except ConditionError as exc:
        raise FlowSettingsError(f"{step.label}: condition refused: {exc}") from None
    return " ".join(text.split())


def _ab_share(flow: Flow, name: str, value: Any) -> int:
    send = next((send for send in flow.sends() if send.variant_b and send.setting == name), None)
    if send is None:
        raise FlowSettingsError(f"{flow.name}: step {name!r} has no A/B test")
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise FlowSettingsError(f"{send.label}: the B share must be a whole percent from 0 to 100")
    return int(text)


def _holdout(flow: Flow, value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= MAX_HOLDOUT_PERCENT:
        raise FlowSettingsError(
            f"{flow.name}: the holdout share must be a whole percent from 0 to {MAX_HOLDOUT_PERCENT}"
        )
    if int(text) and flow.purpose == Purpose.REQUESTED:
        raise FlowSettingsError(f"{flow.name}: shoppers asked for these messages, so none may be held out")
    return int(text)


def human(delta: timedelta) -> str:
    """Say a duration in the largest unit that divides it (2 days, 90 minutes)."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def flow_setting_row(session: Session, shop_id: int, flow_key: str) -> FlowSetting | None:
    """The shop's stored row for one flow (None: never changed), read once per batch."""
    return remembered(
        session,
        FLOW_SETTING_ROWS,
        (shop_id, flow_key),
        lambda: session.scalars(
            select(FlowSetting).where(FlowSetting.shop_id == shop_id, FlowSetting.flow_key == flow_key)
        ).first(),
    )


def flow_overrides(session: Session, shop_id: int, flow_key: str) -> dict[str, Any] | None:
    """What the merchant changed of one flow (templates, delays, params), or None."""
    row = flow_setting_row(session, shop_id, flow_key)
    return row.overrides if row else None


def flow_settings(session: Session, shop_id: int, flow_key: str) -> ResolvedSettings:
    """Resolve one flow's settings for one shop: what every step and send reads, one row, one flow."""
    return remembered(
        session, RESOLVED_SETTINGS, (shop_id, flow_key), lambda: _resolved(session, shop_id, flow_key)
    )


def _resolved(session: Session, shop_id: int, flow_key: str) -> ResolvedSettings:
    row = flow_setting_row(session, shop_id, flow_key)
    return resolve(
        CATALOGUE[flow_key],
        row.enabled if row else None,
        row.overrides if row else None,
        _platform(session, shop_id),
    )


def settings_for_shop(session: Session, shop_id: int) -> dict[str, ResolvedSettings]:
    """Resolve every catalogue flow's settings for one shop."""
    stored = {
        row.flow_key: row
        for row in session.scalars(select(FlowSetting).where(FlowSetting.shop_id == shop_id))
    }
    platform = _platform(session, shop_id)
    resolved = {}
    for key, flow in CATALOGUE.items():
        row = stored.get(key)
        resolved[key] = resolve(flow, row.enabled if row else None, row.overrides if row else None, platform)
    return resolved


def _platform(session: Session, shop_id: int) -> str | None:
    """The shop's platform, for the defaults that depend on it (usually loaded in the session already)."""
    shop = session.get(Shop, shop_id)
    return shop.platform if shop is not None else None
