"""The baseline for bench/ingest.py and bench/storefront.py: Flask with POST routes that read the body
and answer JSON.

Served by gunicorn exactly like ``wsgi:app``, so the difference between the two is Storeflow's own
work on the request path (webhooks: HMAC check, JSON parse, shop lookup, INSERT and commit;
Saleor webhooks: JWS check with the instance's cached keys, JSON parse, INSERT and commit;
storefront events: key and origin checks, validation, the Redis rate limit and enqueue).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/shopify")
def receive() -> tuple[Response, int]:
    """Read the body and answer a small JSON object, nothing else."""
    request.get_data(cache=False)
    return jsonify(status="ok"), 200


@app.post("/webhooks/saleor")
def receive_saleor() -> tuple[Response, int]:
    """Read the body and answer a small JSON object, nothing else."""
    request.get_data(cache=False)
    return jsonify(status="ok"), 200


@app.post("/storefront/events")
def storefront_events() -> tuple[Response, int]:
    """Read the body and answer a small JSON object, nothing else."""
    request.get_data(cache=False)
    return jsonify(status="ok"), 200
