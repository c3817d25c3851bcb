"""The store's catalogue: products and stock from product webhooks, and the alerts they set off."""
