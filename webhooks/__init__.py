"""Inbound adapters: verify, bind and normalize what platforms and providers send (doors: app/web)."""
