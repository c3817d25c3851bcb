"""A shop's tuning of a flow: validated overrides on top of the flow's defaults.

Stored overrides look like ``{"delays": {"first_delay": 7200}, "steps": {"sms": false}}``; delays
are seconds. Validation happens when a merchant saves, so a running enrollment never meets a bad
value; resolution tolerates stale keys (a setting removed in a later release is simply ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import FlowSetting
from flows.catalogue import CATALOGUE
from flows.definitions import Flow, Send, Wait


class FlowSettingsError(ValueError):
    """A merchant's flow settings were refused; the message says which value and why."""


@dataclass(frozen=True)
class ResolvedSettings:
    flow: Flow
    enabled: bool
    delays: dict[str, timedelta]
    steps_enabled: dict[str, bool]

    def delay(self, wait: Wait) -> timedelta:
        return self.delays[wait.setting]

    def step_enabled(self, send: Send) -> bool:
        return self.steps_enabled[send.setting]


def resolve(flow: Flow, enabled: bool | None, overrides: dict[str, Any] | None) -> ResolvedSettings:
    """Merge stored overrides onto the flow's defaults."""
    overrides = overrides or {}
    delays = {wait.setting: wait.default for wait in flow.waits()}
    for name, seconds in (overrides.get("delays") or {}).items():
        if name in delays and isinstance(seconds, int | float):
            delays[name] = timedelta(seconds=seconds)
    steps = {send.setting: send.enabled_by_default for send in flow.sends()}
    for name, on in (overrides.get("steps") or {}).items():
        if name in steps and isinstance(on, bool):
            steps[name] = on
    return ResolvedSettings(
        flow=flow,
        enabled=flow.enabled_by_default if enabled is None else enabled,
        delays=delays,
        steps_enabled=steps,
    )


def validate_overrides(flow: Flow, delays: dict[str, Any], steps: dict[str, Any]) -> dict[str, Any]:
    """Check submitted delays (seconds) and step switches; return the overrides to store."""
    waits = {wait.setting: wait for wait in flow.waits()}
    sends = {send.setting for send in flow.sends()}
    clean_delays: dict[str, int] = {}
    for name, value in delays.items():
        wait = waits.get(name)
        if wait is None:
            raise FlowSettingsError(f"{flow.name}: there is no delay called {name!r}")
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            raise FlowSettingsError(f"{wait.label}: {value!r} is not a whole number of seconds") from None
        if not wait.minimum.total_seconds() <= seconds <= wait.maximum.total_seconds():
            raise FlowSettingsError(
                f"{wait.label}: must be between {_human(wait.minimum)} and {_human(wait.maximum)}"
            )
        clean_delays[name] = seconds
    clean_steps: dict[str, bool] = {}
    for name, value in steps.items():
        if name not in sends:
            raise FlowSettingsError(f"{flow.name}: there is no step called {name!r}")
        if not isinstance(value, bool):
            raise FlowSettingsError(f"{flow.name}: step {name!r} must be switched on or off")
        clean_steps[name] = value
    return {"delays": clean_delays, "steps": clean_steps}


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def settings_for_shop(session: Session, shop_id: int) -> dict[str, ResolvedSettings]:
    """Resolve every catalogue flow's settings for one shop."""
    stored = {
        row.flow_key: row
        for row in session.scalars(select(FlowSetting).where(FlowSetting.shop_id == shop_id))
    }
    resolved = {}
    for key, flow in CATALOGUE.items():
        row = stored.get(key)
        resolved[key] = resolve(flow, row.enabled if row else None, row.overrides if row else None)
    return resolved
