"""Rendering, sending and unsubscribing: everything about one message to one shopper."""
