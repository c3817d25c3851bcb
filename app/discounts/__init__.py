"""Unique single-use discount codes for flow messages, made through each platform's own API
(``Platform.discount_issuer``: app/platforms/shopify/discounts.py, app/platforms/saleor/discounts.py)."""
