"""Turning a stored, normalized platform event into our own state and trigger events."""
