"""Unique single-use discount codes for flow messages, made through each platform's own API."""
