"""Shopify webhooks: HMAC verification, topics, tenant binding and payload normalization (door: app/web)."""
