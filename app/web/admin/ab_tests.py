"""A/B tests in the admin: start, change or stop the test of one message step, and see its figures.

The test is stored on the flow's settings (``overrides["ab_tests"]``, flows/ab.py). Saving starts
the test afresh: its figures count from then and any winner is forgotten; the hash that assigns
shoppers is the same, so with the same shares nobody switches side. Stopping stores "no test",
which also switches off the test a catalogue step ships with.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import abort, request
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.jobs.services import current_services
from app.messaging.render import TemplatePartError, compile_part
from app.reports.ab_tests import ABReport, ab_report
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.flows import flow_or_404, flow_setting
from app.web.admin.page import finish, render_page
from app.web.i18n import translated
from flows.ab import METRICS, NAMES, TESTS_KEY, ABTest, ABTestError, Variant, clean_test
from flows.definitions import Flow, Send
from flows.settings import flow_settings

log = logging.getLogger(__name__)


def step_report(flow: Flow, step: Send) -> ABReport | None:
    """The figures of the step's test for the signed-in shop, or None when it has no test."""
    shop = current_shop()
    test = flow_settings(db.session(), shop.id, flow.key).ab_tests.get(step.setting)
    return ab_report(db.session(), shop.id, flow, step, test) if test is not None else None


@bp.get("/flows/<flow_key>/steps/<step>/ab")
def ab_test(flow_key: str, step: str) -> tuple[str, int]:
    """Show the A/B test form of one message step, with the test's figures so far."""
    flow, send = _send_or_404(flow_key, step)
    return _page(flow, send)


@bp.post("/flows/<flow_key>/steps/<step>/ab")
def save_ab_test(flow_key: str, step: str) -> WerkzeugResponse | tuple[str, int]:
    """Start (or restart) the step's test as submitted, or stop it."""
    shop = current_shop()
    flow, send = _send_or_404(flow_key, step)
    setting = flow_setting(shop, flow)
    tests = dict((setting.overrides or {}).get(TESTS_KEY) or {})
    if request.form.get("action") == "stop":
        tests[send.setting] = None
        notice = gettext(
            "A/B test of “%(step)s” stopped: every shopper gets the step's own message.",
            step=gettext(send.label),
        )
    else:
        try:
            test = clean_test(send, submitted_test())
            _check_subjects(test)
        except ABTestError as exc:
            log.info("shop %s: A/B test of %s %s refused: %s", shop.id, flow.key, send.setting, exc)
            db.session.rollback()
            errors = {key: translated(problem) for key, problem in exc.problems.items()}
            return _page(flow, send, errors=errors, status=400)
        test = replace(test, started_at=current_services().clock.now())
        tests[send.setting] = test.stored()
        notice = gettext(
            "A/B test of “%(step)s” started with %(num)d variants.",
            step=gettext(send.label),
            num=len(test.variants),
        )
    setting.overrides = {**(setting.overrides or {}), TESTS_KEY: tests}
    db.session.commit()
    log.info("shop %s saved the A/B test of %s %s", shop.id, flow.key, send.setting)
    return finish("admin.flow_detail", notice, flow_key=flow.key)


def _check_subjects(test: ABTest) -> None:
    """Refuse a variant subject the template engine cannot read, as the template editor would."""
    problems = {}
    for variant in test.variants:
        if variant.subject:
            try:
                compile_part("subject", variant.subject)
            except TemplatePartError as exc:
                problems[f"subject_{variant.name}"] = gettext(
                    "Variant %(name)s: the subject does not read: %(problem)s",
                    name=variant.name,
                    problem=exc.message,
                )
    if problems:
        raise ABTestError(problems)


def submitted_test() -> dict[str, Any]:
    """Read the form: A and B always, C and D when given a share."""
    variants = []
    for name in NAMES:
        share = request.form.get(f"share_{name}", "").strip()
        if name not in {"A", "B"} and not share:
            continue
        variants.append(
            {
                "share": share,
                "subject": request.form.get(f"subject_{name}", ""),
                "content": request.form.get(f"content_{name}") == "on",
                "delay_minutes": request.form.get(f"delay_{name}", "").strip() or "0",
            }
        )
    return {
        "variants": variants,
        "metric": request.form.get("metric", ""),
        "minimum_sample": request.form.get("minimum_sample", ""),
        "threshold": request.form.get("threshold", ""),
    }


def _page(flow: Flow, send: Send, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    report = step_report(flow, send)
    shown = {variant.name: variant for variant in report.test.variants} if report else {}
    return render_page(
        "admin/ab_test.html",
        status=status,
        flow=flow,
        send=send,
        report=report,
        rows=[(name, shown.get(name) or _blank(name, send, report is None)) for name in NAMES],
        metrics={key: gettext(label) for key, label in METRICS.items()},
        errors=errors or {},
    )


def _blank(name: str, send: Send, first: bool) -> Variant:
    """The form row of a variant the test does not have (a new test starts as A and B, half each)."""
    share = 50 if first and name in {"A", "B"} else 0
    return Variant(name, send.template, share)


def _send_or_404(flow_key: str, step: str) -> tuple[Flow, Send]:
    flow = flow_or_404(flow_key)
    send = next((send for send in flow.sends() if send.setting == step), None)
    if send is None:
        abort(404)
    return flow, send
