"""Everything outbound for a platform lives in one package: install, tokens, GraphQL, discounts, checks."""
