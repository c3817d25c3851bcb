"""The baseline for bench/ingest.py: Flask with one POST route that reads the body and answers JSON.

Served by gunicorn exactly like ``wsgi:app``, so the difference between the two is Storeflow's own
work on the request path (HMAC check, JSON parse, shop lookup, INSERT and commit).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/shopify")
def receive() -> tuple[Response, int]:
    """Read the body and answer a small JSON object, nothing else."""
    request.get_data(cache=False)
    return jsonify(status="ok"), 200
