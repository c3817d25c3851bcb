"""Flows as files: a shop's flow settings written out as YAML or JSON, and read back in.

A file names each flow by its key and gives its settings in the units a person edits::

    storeflow_flows: 1
    flows:
      abandoned_checkout:
        enabled: true
        delays: {first_delay: 3600}      # seconds
        steps: {sms: false}
        conditions: {second_email: "order_count = 0"}
        params: {discount: true, discount_percent: 15}
        ab: {second_email: 30}           # percent sent variant B
        holdout: 10                      # percent of enrollments sent nothing

YAML aliases (``*name``) are refused while the file is read: a 519-byte file of nested aliases
expands to millions of values (the "billion laughs"), and a flow file has no use for them. A
refusal names the flow and the setting, and quotes at most ``MAX_PROBLEM_LENGTH`` characters of it.

Import is all or nothing: every flow is checked with the validation the admin form uses
(``flows.settings.validate_overrides``) before anything is written, and each refusal names the flow
and the setting. A section in the file replaces that section of the shop's settings; flows and
sections the file leaves out stay as they are, and custom message templates are never touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy.orm import Session

from app.core.errors import StoreflowError
from app.db.models import FlowSetting
from app.db.models.rows import get_or_create
from flows.catalogue import CATALOGUE
from flows.definitions import Flow, Param, ParamKind
from flows.params import display
from flows.settings import FlowSettingsError, ResolvedSettings, settings_for_shop, validate_overrides

FORMAT_VERSION = 1
MAX_FILE_BYTES = 256 * 1024
SECTIONS = ("delays", "steps", "conditions", "params", "ab")
FORMATS = ("yaml", "json")
MAX_PROBLEM_LENGTH = 200


class FlowFileError(StoreflowError, ValueError):
    """A flow file was refused; ``problems`` lists each flow and setting at fault."""

    def __init__(self, problems: list[str]) -> None:
        clipped = [_clip(problem) for problem in problems]
        super().__init__("; ".join(clipped))
        self.problems = clipped


def _clip(problem: str) -> str:
    """Keep a refusal short: it may quote a value from the file, which can be 256 kB long."""
    return problem if len(problem) <= MAX_PROBLEM_LENGTH else problem[: MAX_PROBLEM_LENGTH - 1] + "…"


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases before it composes them into shared nodes."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted in a flow file", self.peek_event().start_mark
            )
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class FlowImport:
    """One flow's checked settings from a file, ready to store."""

    flow: Flow
    enabled: bool | None
    tuned: dict[str, Any]


def export_document(session: Session, shop_id: int) -> dict[str, Any]:
    """Return every flow's current settings (defaults included), as a file would hold them."""
    settings = settings_for_shop(session, shop_id)
    return {
        "storeflow_flows": FORMAT_VERSION,
        "flows": {key: _flow_entry(settings[key]) for key in CATALOGUE},
    }


def dump(document: dict[str, Any], fmt: str) -> str:
    """Write the document as YAML (block style, keys in flow order) or as indented JSON."""
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _flow_entry(settings: ResolvedSettings) -> dict[str, Any]:
    flow = settings.flow
    return {
        "enabled": settings.enabled,
        "delays": {name: int(delay.total_seconds()) for name, delay in settings.delays.items()},
        "steps": dict(settings.steps_enabled),
        "conditions": dict(settings.conditions),
        "params": {param.setting: _param_value(param, settings) for param in flow.params},
        "ab": dict(settings.ab_percent),
        "holdout": settings.holdout_percent,
    }


def _param_value(param: Param, settings: ResolvedSettings) -> Any:
    """Write a parameter as the admin form takes it back (lists as their lines of text)."""
    value = settings.param(param.setting)
    if param.kind == ParamKind.LINES:
        return display(param, value)
    return value


def parse(text: str | bytes) -> dict[str, Any]:
    """Read a YAML or JSON flow file (JSON is YAML) and check its outline."""
    if len(text) > MAX_FILE_BYTES:
        raise FlowFileError([f"the file is larger than {MAX_FILE_BYTES // 1024} KB"])
    try:
        document = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader, without aliases
    except yaml.YAMLError as exc:
        raise FlowFileError([f"not YAML or JSON: {_first_line(exc)}"]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise FlowFileError(["the file nests too deeply to be flow settings"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("flows"), dict):
        raise FlowFileError(["the file must be a mapping with a 'flows' mapping of flow keys"])
    if document.get("storeflow_flows", FORMAT_VERSION) != FORMAT_VERSION:
        raise FlowFileError([f"storeflow_flows: only version {FORMAT_VERSION} is understood"])
    return document


def check(document: dict[str, Any]) -> list[FlowImport]:
    """Validate every flow of a parsed file; raise FlowFileError naming every flow at fault."""
    imports, problems = [], []
    for key, entry in document["flows"].items():
        try:
            imports.append(_check_flow(str(key), entry))
        except FlowSettingsError as exc:
            problems.append(f"{key}: {exc}")
    if problems:
        raise FlowFileError(problems)
    return imports


def _check_flow(key: str, entry: Any) -> FlowImport:
    flow = CATALOGUE.get(key)
    if flow is None:
        raise FlowSettingsError("there is no such flow")
    if not isinstance(entry, dict):
        raise FlowSettingsError("its settings must be a mapping")
    unknown = sorted(set(entry) - {"enabled", "holdout", *SECTIONS}, key=str)
    if unknown:
        raise FlowSettingsError(f"there is no setting called {unknown[0]!r}")
    enabled = entry.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise FlowSettingsError("enabled must be true or false")
    sections = {}
    for section in SECTIONS:
        value = entry.get(section) or {}
        if not isinstance(value, dict):
            raise FlowSettingsError(f"{section} must be a mapping of setting names")
        sections[section] = {str(name): setting for name, setting in value.items()}
    tuned = validate_overrides(flow, holdout=entry.get("holdout"), **sections)
    present = {name: tuned[name] for name in (*SECTIONS, "holdout") if name in entry and name in tuned}
    return FlowImport(flow, enabled, present)


def apply(session: Session, shop_id: int, imports: list[FlowImport]) -> None:
    """Store checked settings; the caller commits, so a failure leaves nothing half written."""
    for item in imports:
        setting, _ = get_or_create(session, FlowSetting, shop_id=shop_id, flow_key=item.flow.key)
        if item.enabled is not None:
            setting.enabled = item.enabled
        setting.overrides = {**(setting.overrides or {}), **item.tuned}


def import_text(session: Session, shop_id: int, text: str | bytes) -> list[FlowImport]:
    """Parse, validate and store a flow file in the session (uncommitted); return what it set."""
    imports = check(parse(text))
    apply(session, shop_id, imports)
    return imports


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
