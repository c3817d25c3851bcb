"""Saleor webhooks: JWS verification, the event vocabulary, and normalization to neutral facts."""
