"""Saleor install side: manifest, registration, signing keys, dashboard tokens and shop settings."""
