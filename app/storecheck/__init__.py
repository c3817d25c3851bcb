"""Ask the live store, right before sending, whether a recovery or catalogue message is still true.

Webhooks arrive late, out of order, or not at all, so the database can still say "checkout open" or
"back in stock" when the store already knows better. Before a recovery (abandoned checkout or
cart), back-in-stock, low-stock or price-drop message, app/storecheck/check.py asks the store's own
API through the shop's platform (``Platform.live_store``: app/platforms/shopify/live_store.py,
app/platforms/saleor/live_store.py), caches the answer briefly in Redis, and skips the message
when it is stale. When the store cannot be asked, the shop's setting decides.
"""
