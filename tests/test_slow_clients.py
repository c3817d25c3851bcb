"""Slow clients cannot stall ingest: the Procfile's web server, attacked as in issue 14.4.

The server is the real process the Procfile starts (bound to loopback). More connections than the
old 2 x 4 gthread pool had threads each send a request a byte every half second; meanwhile a
signed webhook and the platform's health check must still be answered within the 5 s a router
or a platform waits. This asserts completion within the timeout, not a speed (that is
bench/slow_clients.py's job).
"""

from __future__ import annotations

import time

from tests.conftest import REDIS_URL
from tests.support.processes import SlowClients, probe_health, probe_webhook, process_env, web_process
from tests.support.shopify import SHOP_DOMAIN, TEST_SECRET

PROBE_TIMEOUT = 5.0
SLOW_CONNECTIONS = 12  # more than the 8 threads of the old gthread pool
BODY = b'{"id": 1, "token": "slow-clients-probe", "line_items": []}'


def test_a_webhook_and_the_health_check_are_answered_while_slow_clients_hold_connections(
    postgres_url, factory
):
    factory.shop()

    env = process_env(postgres_url, REDIS_URL)

    with web_process(env) as url, SlowClients(url, SLOW_CONNECTIONS, interval=0.5):
        time.sleep(1.5)  # every slow connection is in and dribbling
        health = probe_health(url, PROBE_TIMEOUT)
        webhook = probe_webhook(url, PROBE_TIMEOUT, BODY, TEST_SECRET, SHOP_DOMAIN)

    assert (health.status, webhook.status) == (200, 200)
