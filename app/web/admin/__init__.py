"""The merchant's admin: one module per page, all on one blueprint that scopes every request to a shop."""

from app.web.admin import (
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
    language_settings,
    login,
    messages,
    overview,
    settings,
)
from app.web.admin.blueprint import bp

__all__ = [
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
    "language_settings",
    "login",
    "messages",
    "overview",
    "settings",
]
