"""Web push: VAPID keys, the shoppers' browser subscriptions, and finding whom a push reaches."""
