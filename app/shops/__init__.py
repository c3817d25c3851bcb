"""A shop: its settings, its platform (the Platform protocol), sender identity, zones, secret rotation."""
