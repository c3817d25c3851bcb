"""Shopify webhooks: HMAC verification, the inbox endpoint, and payload normalization."""
