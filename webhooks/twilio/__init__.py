"""Twilio's requests to us: message status callbacks and inbound SMS (STOP, START, HELP)."""
