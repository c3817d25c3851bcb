"""Why a platform cannot be read for reconciliation now; the job records it and the next slot tries again."""

from __future__ import annotations

from app.core.errors import StoreflowError


class ReconcileError(StoreflowError):
    """Base of the refusals a platform's recent activity raises instead of its own errors."""


class ReconcileNoAccessError(ReconcileError):
    """The platform no longer lets us read the shop (no token, revoked): nothing to retry until reinstall."""


class ReconcileRefusedError(ReconcileError):
    """The platform refused the queries for good (permissions, invalid query): retrying cannot help."""
