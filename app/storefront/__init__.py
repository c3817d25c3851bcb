"""Storefront behaviour: what shoppers look at, sent by our snippet or Shopify web pixel, and who they are."""
