"""Install doors: Shopify OAuth and the Saleor app manifest and registration."""
