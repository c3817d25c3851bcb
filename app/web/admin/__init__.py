"""The merchant's admin: one module per page, all on one blueprint that scopes every request to a shop."""

from app.web.admin import (
    ab_tests,
    consent_settings,
    contacts,
    deliveries,
    designer,
    flow_detail,
    flow_files,
    flow_simulate,
    flow_templates,
    flows,
    formatting,
    forms,
    history,
    login,
    messages,
    overview,
    settings,
)
from app.web.admin.blueprint import bp

__all__ = [
    "ab_tests",
    "bp",
    "consent_settings",
    "contacts",
    "deliveries",
    "designer",
    "flow_detail",
    "flow_files",
    "flow_simulate",
    "flow_templates",
    "flows",
    "formatting",
    "forms",
    "history",
    "login",
    "messages",
    "overview",
    "settings",
]
