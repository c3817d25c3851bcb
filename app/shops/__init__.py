"""A shop's own settings: channels, sender identity, quiet hours, zones, and rotating its stored secrets."""
