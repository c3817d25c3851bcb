"""Reconciliation: find the checkouts and orders whose webhooks never arrived, and process them.

Webhooks are the fast path; they are also lossy at the edges (a subscription deleted by the
platform after repeated failures, an outage longer than the platform's retries). Every
``INTERVAL`` a worker asks each installed shop's platform for the checkouts and orders updated
since the last look (Shopify's GraphQL Admin API ``abandonedCheckouts`` and ``orders``; Saleor's
``checkouts`` and ``orders``), compares them with what we stored, and turns each difference into a
synthetic webhook in the inbox with a deterministic event id. The relay then processes it through
the same normalize and apply path as a real delivery, so a difference found twice is stored once,
and a real webhook arriving after it changes nothing (late deliveries never do).

The platform side (the queries and the reshaping into webhook payloads) is each platform's
``recent_activity.py`` under app/platforms/; the job that runs it is app/jobs/reconcile.py.
"""
