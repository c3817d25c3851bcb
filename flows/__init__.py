"""Automation flows: definitions as data, and the engine that runs them. Knows no platform."""
