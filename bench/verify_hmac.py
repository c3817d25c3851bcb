"""Micro-benchmark: our webhook HMAC check against ``shopifyapp``'s ``verify_webhook_req``.

Both verify the same signed 15 kB orders/create delivery, single-threaded, in this process; the
figure is the best of several repeats (least disturbed by the other tenants of a shared machine).

    .venv/bin/python bench/verify_hmac.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from shopify_app import ShopifyApp
from shopify_app.types import RequestInput

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webhooks.shopify.verify import SIGNATURE_HEADER, ShopifyWebhookVerifier, sign  # noqa: E402

SAMPLE = ROOT / "samples" / "shopify" / "orders_create__shopifydocs-2026-04.json"
SECRET = "bench-shopify-secret"


def best_microseconds(check: Callable[[], object], calls: int = 2000, repeats: int = 7) -> float:
    """Return the fastest mean time per call over several timed batches, in microseconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            check()
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def main() -> None:
    """Time both checks on the same delivery and print them side by side."""
    body = SAMPLE.read_bytes()
    signature = sign(body, SECRET)
    ours = ShopifyWebhookVerifier((SECRET,))
    library = ShopifyApp(client_id="bench", client_secret=SECRET)
    request: RequestInput = {
        "method": "POST",
        "url": "https://storeflow.example/webhooks/shopify",
        "headers": {
            SIGNATURE_HEADER: signature,
            "X-Shopify-Shop-Domain": "bench-shop.myshopify.com",
            "X-Shopify-Topic": "orders/create",
            "Content-Type": "application/json",
        },
        "body": body.decode(),
    }
    if not library.verify_webhook_req(request).ok:
        raise SystemExit("shopifyapp rejected the delivery: the comparison would be meaningless")
    ours_us = best_microseconds(lambda: ours.verify(body, signature))
    library_us = best_microseconds(lambda: library.verify_webhook_req(request))
    print(f"payload: {SAMPLE.name} ({len(body)} bytes)")
    print(f"webhooks.shopify.verify (raw bytes)      {ours_us:7.1f} us per delivery")
    print(f"shopifyapp.verify_webhook_req (text)     {library_us:7.1f} us per delivery")


if __name__ == "__main__":
    main()
