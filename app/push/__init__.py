"""Web push: the shoppers' browser subscriptions, and finding whom a push reaches (keys: core/vapid.py)."""
