"""Read a flow's settings form: delays in hours, step switches, conditions, the holdout share,
parameters (A/B tests have their own form, ``ab_tests``).

Everything read here is validated by ``flows.settings.validate_overrides`` before it is stored; a
value that cannot even be read (hours that are not a number) is noted here, so the merchant hears
of every problem at once, each under the field it belongs to (``field_errors``).
"""

from __future__ import annotations

from typing import Any

from flask import request

from flows.definitions import Flow, ParamKind

# The form field of each section of a flow's settings (``delays.first_delay`` is ``delay_first_delay``).
FIELD_PREFIXES = {
    "delays": "delay_",
    "steps": "step_",
    "params": "param_",
    "conditions": "condition_",
}


def submitted_delays(flow: Flow, problems: dict[str, str]) -> dict[str, Any]:
    """Read each wait's hours and turn them into seconds; note hours that are not a number."""
    delays: dict[str, Any] = {}
    for wait in flow.waits():
        raw = request.form.get(f"delay_{wait.setting}", "").strip()
        if raw:
            try:
                delays[wait.setting] = round(float(raw) * 3600)
            except (ValueError, OverflowError):  # not a number, or nan / inf
                problems[f"delays.{wait.setting}"] = f"{wait.label}: {raw!r} is not a number of hours"
    return delays


def field_errors(problems: dict[str, str]) -> dict[str, str]:
    """Key each refused setting's message by the name of the form field it came from."""
    errors = {}
    for key, message in problems.items():
        section, _, setting = key.partition(".")
        errors[FIELD_PREFIXES.get(section, f"{section}_") + setting if setting else section] = message
    return errors


def submitted_steps(flow: Flow) -> dict[str, Any]:
    return {step.setting: request.form.get(f"step_{step.setting}") == "on" for step in flow.switchable()}


def submitted_conditions(flow: Flow) -> dict[str, Any]:
    """Read each step's "only when" condition (an empty field means always)."""
    return {
        step.setting: request.form[f"condition_{step.setting}"]
        for step in flow.switchable()
        if f"condition_{step.setting}" in request.form
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
