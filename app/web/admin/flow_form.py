"""Read a flow's settings form: delays in hours, step switches, conditions, A/B and holdout shares,
parameters.

Everything read here is validated by ``flows.settings.validate_overrides`` before it is stored; a
value that cannot even be read (hours that are not a number) is refused here with the same error.
"""

from __future__ import annotations

from typing import Any

from flask import request

from flows.definitions import Flow, ParamKind
from flows.settings import FlowSettingsError


def submitted_delays(flow: Flow) -> dict[str, Any]:
    """Read each wait's hours and turn them into seconds."""
    delays: dict[str, Any] = {}
    for wait in flow.waits():
        raw = request.form.get(f"delay_{wait.setting}", "").strip()
        if raw:
            try:
                delays[wait.setting] = round(float(raw) * 3600)
            except (ValueError, OverflowError):  # not a number, or nan / inf
                raise FlowSettingsError(f"{wait.label}: {raw!r} is not a number of hours") from None
    return delays


def submitted_steps(flow: Flow) -> dict[str, Any]:
    return {step.setting: request.form.get(f"step_{step.setting}") == "on" for step in flow.switchable()}


def submitted_conditions(flow: Flow) -> dict[str, Any]:
    """Read each step's "only when" condition (an empty field means always)."""
    return {
        step.setting: request.form[f"condition_{step.setting}"]
        for step in flow.switchable()
        if f"condition_{step.setting}" in request.form
    }


def submitted_ab(flow: Flow) -> dict[str, Any]:
    return {
        send.setting: request.form[f"ab_{send.setting}"]
        for send in flow.sends()
        if send.variant_b and f"ab_{send.setting}" in request.form
    }


def submitted_params(flow: Flow) -> dict[str, Any]:
    """Read the flow's own settings; a switch that is not ticked is off."""
    params: dict[str, Any] = {}
    for param in flow.params:
        name = f"param_{param.setting}"
        if param.kind == ParamKind.SWITCH:
            params[param.setting] = request.form.get(name) == "on"
        elif name in request.form:
            params[param.setting] = request.form[name]
    return params


def submitted_holdout() -> str | None:
    """Read the share of enrollments held out (None when the form did not show it; empty means none)."""
    if "holdout" not in request.form:
        return None
    return request.form["holdout"].strip() or "0"
