"""Installing into Shopify: OAuth, token exchange, token refresh, Admin GraphQL, webhook registration."""
