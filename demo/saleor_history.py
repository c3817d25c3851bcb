"""The demo Saleor's past: a small bundled history its stand-in serves page by page to the history sync.

demo/history/saleor/ holds one answer per connection (``customers.json``, ``products.json``,
``orders.json``), each shaped as Saleor 3.20+ answers our history query
(app/platforms/saleor/history_queries.py) with every record on one page: ``totalCount``,
``pageInfo``, ``edges`` with Saleor-style cursors (base64 of the sort values) and nodes shaped by
our webhook fragments. ``page`` re-slices an answer by ``first``, ``after`` and the ``since`` day
as Saleor would. The story, dated against demo/run.py's START (2026-11-25):

- Adrian King (adrian.king@example.com, email consent): 4 paid orders since March, 378.50 USD.
  The demo's order #1042 (213.00) is his fifth and takes him to 591.50: VIP on day one (the VIP
  flow's defaults are 5 orders or 500.00).
- Maria Gomez (maria.gomez@example.com, email consent): last ordered 2026-08-10, 107 days before
  START: lapsed (win-back's 90 days, caught up to 30 days late), so the first daily tick enrolls her.
- Sam Lee: one order in September and no consent: nothing is sent.

Three products (the t-shirt and earbuds the demo's carts hold, and a bottle) with variants,
stock across warehouses and a channel price.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HISTORY = Path(__file__).resolve().parent / "history" / "saleor"
# Each connection's creation field, as the history query filters and sorts by it.
CREATED = {"customers": "dateJoined", "products": "created", "orders": "created"}

Payload = dict[str, Any]


class UnknownCursorError(LookupError):
    """``after`` names no edge of the connection (Saleor answers an error)."""


def load_history(directory: Path = HISTORY) -> dict[str, Payload]:
    """Return each bundled connection (its ``totalCount``, ``pageInfo`` and every edge)."""
    return {name: json.loads((directory / f"{name}.json").read_text())["data"][name] for name in CREATED}


def history_connection(query: str) -> str | None:
    """Name the connection a history query pages (``StoreflowHistoryOrders``: orders), if it is one."""
    match = re.search(r"query StoreflowHistory(\w+)", query)
    name = match.group(1).lower() if match else None
    return name if name in CREATED else None


def page(name: str, connection: Payload, variables: Payload) -> Payload:
    """Answer one page: ``first`` edges after the ``after`` cursor, created on or after the ``since`` day."""
    since = variables.get("since")
    edges = [
        edge
        for edge in connection["edges"]
        if since is None or str(edge["node"].get(CREATED[name]) or "")[:10] >= since
    ]
    start = 0
    after = variables.get("after")
    if after is not None:
        cursors = [edge["cursor"] for edge in edges]
        if after not in cursors:
            raise UnknownCursorError(f"no {name} edge has the cursor {after!r}")
        start = cursors.index(after) + 1
    chosen = edges[start : start + int(variables["first"])]
    return {
        "totalCount": len(edges),
        "pageInfo": {
            "hasNextPage": start + len(chosen) < len(edges),
            "endCursor": chosen[-1]["cursor"] if chosen else None,
        },
        "edges": chosen,
    }
