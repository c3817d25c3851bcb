"""Subscribe a shop to Storeflow's webhook topics through the Admin API.

Compliance topics cannot be registered this way; ``shopify.app.toml`` declares them. When the toml's
own subscriptions are deployed, SHOPIFY_REGISTER_WEBHOOKS=false skips this (a duplicate delivery
would be deduplicated on X-Shopify-Event-Id anyway).
https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate
"""

from __future__ import annotations

import logging
from typing import Any

from app.platforms.shopify.errors import ShopifyApiError
from app.platforms.shopify.graphql import ShopifyAdmin
from webhooks.shopify.topics import API_REGISTERED_TOPICS, graphql_topic

log = logging.getLogger(__name__)

METAFIELD_TOPICS = frozenset({"customers/create", "customers/update"})

EXISTING_SUBSCRIPTIONS = """
query ExistingWebhookSubscriptions {
  webhookSubscriptions(first: 100) { nodes { topic uri } }
}
"""

CREATE_FIELD = """
  {alias}: webhookSubscriptionCreate(
    topic: {topic}, webhookSubscription: {{uri: $uri, format: JSON{extra}}}
  ) {{
    webhookSubscription {{ id topic }}
    userErrors {{ field message }}
  }}"""


def register_webhooks(admin: ShopifyAdmin, callback_url: str) -> list[str]:
    """Create the subscriptions the shop lacks, in one request; return the topics newly registered."""
    existing = admin.execute(EXISTING_SUBSCRIPTIONS)
    present = {
        node.get("topic")
        for node in existing.get("webhookSubscriptions", {}).get("nodes", [])
        if node.get("uri") == callback_url
    }
    missing = [topic for topic in API_REGISTERED_TOPICS if graphql_topic(topic) not in present]
    if not missing:
        log.info("%s already has every webhook subscription", admin.shop.domain)
        return []
    data = admin.execute(create_mutation(missing), {"uri": callback_url})
    created, errors = _outcome(missing, data)
    if created:
        log.info("%s: registered webhooks %s", admin.shop.domain, ", ".join(created))
    if errors:
        raise ShopifyApiError(f"{admin.shop.domain}: webhook registration userErrors: {'; '.join(errors)}")
    return created


def create_mutation(topics: list[str]) -> str:
    """Build one mutation with an aliased ``webhookSubscriptionCreate`` per topic."""
    fields = "".join(
        CREATE_FIELD.format(alias=_alias(t), topic=graphql_topic(t), extra=_extra(t)) for t in topics
    )
    return f"mutation RegisterWebhooks($uri: String!) {{{fields}\n}}\n"


def _extra(topic: str) -> str:
    """Ask customer webhooks to carry the standard birthday metafield (``facts.birth_date``)."""
    return ', metafieldNamespaces: ["facts"]' if topic in METAFIELD_TOPICS else ""


def _alias(topic: str) -> str:
    """Return a GraphQL alias for a topic (aliases allow no ``/``)."""
    return graphql_topic(topic).lower()


def _outcome(topics: list[str], data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Split the aliased results into created topics and readable userErrors."""
    created: list[str] = []
    errors: list[str] = []
    for topic in topics:
        payload = data.get(_alias(topic)) or {}
        for error in payload.get("userErrors") or []:
            errors.append(f"{topic}: {error.get('message')} ({error.get('field')})")
        if payload.get("webhookSubscription"):
            created.append(topic)
    return created, errors
