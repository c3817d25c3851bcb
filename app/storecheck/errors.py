"""Failures asking the live store; the check turns them into the shop's "unreachable" choice."""

from __future__ import annotations

from app.core.errors import StoreflowError


class StoreCheckError(StoreflowError):
    """Base of every failure checking a message against the live store."""


class StoreUnreachableError(StoreCheckError):
    """The store's API did not answer usefully (network, 5xx, auth, GraphQL errors)."""
