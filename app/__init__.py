"""Storeflow: marketing automation for Shopify and Saleor stores.

Floors, top to bottom: web > jobs > adapters > domain > db > core (see .importlinter).
"""
