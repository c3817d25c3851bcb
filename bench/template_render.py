"""Micro-benchmark: what the bounds on merchant templates cost per render.

The first checkout reminder (subject, text and HTML) is rendered as a merchant override, its three
parts being the bundled sources, from the real Shopify checkout sample, three ways:

- ``send``: what a send does with an override, compile each part then render it, in Jinja's plain
  ``SandboxedEnvironment`` (before the bounds) and in ``BoundedSandbox`` with the deadline;
- ``render``: the same, the parts compiled once beforehand (the render alone);
- ``loop``: a loop-heavy override (1,000 iterations, an attribute and a filter in each), rendered
  alone, for the cost per iteration;

and the bundled template itself, unsandboxed, for scale. Single thread, best of 7 batches (least
disturbed by the machine's other tenants); prints one ``RESULT`` JSON line.

    .venv/bin/python bench/template_render.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db.models import Checkout, Contact, Shop  # noqa: E402
from app.messaging.context import template_context  # noqa: E402
from app.messaging.render import PARTS, _environment, render_strict, template_source  # noqa: E402
from app.messaging.template_limits import BoundedSandbox, render_bounded, time_limit  # noqa: E402
from webhooks.shopify.normalize import normalize  # noqa: E402

TEMPLATE = "abandoned_checkout_1"
SAMPLE = ROOT / "samples" / "shopify" / "checkouts_create__shopifydocs-2026-04.json"
LOOP = "{% for i in range(1000) %}{{ contact.first_name|upper }}{% endfor %}"


def context() -> dict[str, Any]:
    facts = normalize("checkouts/create", json.loads(SAMPLE.read_text()), datetime.now(UTC)).checkout
    assert facts is not None
    checkout = Checkout(
        shop_id=1,
        token=facts.token,
        recovery_url=facts.recovery_url,
        currency=facts.currency,
        total_price=facts.total_price,
        line_items=[item.as_dict() for item in facts.line_items],
    )
    shop = Shop(id=1, platform="shopify", domain="bench.myshopify.com", name="Bench", currency="USD")
    contact = Contact(id=1, shop_id=1, first_name="John", last_name="Smith", email="john@example.com")
    return template_context(shop, contact, checkout, "https://storeflow.example/u/token")


def best_microseconds(render: Callable[[], object], calls: int = 300, repeats: int = 7) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            render()
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def main() -> None:
    variables = context()
    sources = {part: template_source(TEMPLATE, part) for part in PARTS["email"]}
    plain = {escape: _environment(SandboxedEnvironment, autoescape=escape) for escape in (True, False)}
    bounded = {escape: _environment(BoundedSandbox, autoescape=escape) for escape in (True, False)}

    def compile_and_render(envs: dict[bool, Any], parts: dict[str, str], limit: bool) -> list[str]:
        """What a send does with an override: compile each part, then render it."""
        templates = [envs[part == "html"].from_string(source) for part, source in parts.items()]
        if not limit:
            return [template.render(variables) for template in templates]
        with time_limit():
            return [render_bounded(template, variables) for template in templates]

    def render_only(templates: list[Template], limit: bool) -> list[str]:
        if not limit:
            return [template.render(variables) for template in templates]
        with time_limit():
            return [render_bounded(template, variables) for template in templates]

    compiled = {
        name: [envs[part == "html"].from_string(source) for part, source in sources.items()]
        for name, envs in (("plain", plain), ("bounded", bounded))
    }
    loops = {"plain": [plain[False].from_string(LOOP)], "bounded": [bounded[False].from_string(LOOP)]}
    results = {
        "bundled_us": best_microseconds(lambda: render_strict(TEMPLATE, "email", variables)),
        "send_sandbox_us": best_microseconds(
            lambda: compile_and_render(plain, sources, limit=False), calls=50
        ),
        "send_bounded_us": best_microseconds(
            lambda: compile_and_render(bounded, sources, limit=True), calls=50
        ),
        "render_sandbox_us": best_microseconds(lambda: render_only(compiled["plain"], limit=False)),
        "render_bounded_us": best_microseconds(lambda: render_only(compiled["bounded"], limit=True)),
        "loop_sandbox_us": best_microseconds(lambda: render_only(loops["plain"], limit=False), calls=50),
        "loop_bounded_us": best_microseconds(lambda: render_only(loops["bounded"], limit=True), calls=50),
    }
    for name in ("send", "render", "loop"):
        sandbox, bound = results[f"{name}_sandbox_us"], results[f"{name}_bounded_us"]
        results[f"{name}_overhead_pct"] = (bound / sandbox - 1) * 100
        change = f"{bound / sandbox - 1:+.0%}"
        print(f"{name:>6}: plain sandbox {sandbox:8.0f} us, bounded {bound:8.0f} us ({change})")
    print(f"bundled template, unsandboxed: {results['bundled_us']:.0f} us")
    print("RESULT " + json.dumps({name: round(value, 1) for name, value in results.items()}))


if __name__ == "__main__":
    main()
