"""Talk to one Saleor instance's GraphQL API with its app token."""

from __future__ import annotations

from typing import Any

import requests

from app.platforms.saleor.errors import SaleorApiError
from webhooks.payload import decode_json

TIMEOUT_SECONDS = 10.0
# Saleor names a query over GRAPHQL_QUERY_MAX_COMPLEXITY by an error extension, not always by a code.
QUERY_COST_ERROR = "QueryCostError"


class SaleorApi:
    """GraphQL requests to one instance, authenticated as the app (``Authorization: Bearer``)."""

    def __init__(self, session: requests.Session, api_url: str, token: str, timeout: float = TIMEOUT_SECONDS):
        self.session = session
        self.api_url = api_url
        self._token = token
        self.timeout = timeout

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one operation and return its ``data``; raise SaleorApiError on any failure."""
        try:
            response = self.session.post(
                self.api_url,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SaleorApiError(f"{self.api_url} did not answer: {type(exc).__name__}") from exc
        try:
            document = decode_json(response.content)  # strings made storable, as at every door
        except (UnicodeDecodeError, ValueError, RecursionError):
            document = None
        errors = document.get("errors") if isinstance(document, dict) else None
        if response.status_code != 200:
            # Saleor answers 400 to a query it refuses before running it (too costly, invalid), with errors.
            message, code = _first_error(errors) if errors else (None, None)
            detail = f": {message}" if message else ""
            raise SaleorApiError(
                f"{self.api_url} answered {response.status_code}{detail}",
                response.status_code,
                code,
                _retry_after(response),
            )
        if document is None:
            raise SaleorApiError(f"{self.api_url} answered something that is not JSON", 502)
        if errors:
            message, code = _first_error(errors)
            raise SaleorApiError(f"{self.api_url} refused the request: {message}", 400, code)
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise SaleorApiError(f"{self.api_url} answered without data", 502)
        return data


def _first_error(errors: Any) -> tuple[Any, str | None]:
    """Return the first GraphQL error's message and code (``extensions.exception.code``)."""
    first = errors[0] if isinstance(errors, list) and errors else errors
    if not isinstance(first, dict):
        return first, None
    extensions = first.get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    if "cost" in extensions:  # its exception code is a plain GraphQLError's on some versions
        return first.get("message"), QUERY_COST_ERROR
    exception = extensions.get("exception")
    code = exception.get("code") if isinstance(exception, dict) else None
    return first.get("message"), code if isinstance(code, str) else None


def _retry_after(response: requests.Response) -> float | None:
    """The seconds a 429 or 503 asks us to wait (``Retry-After`` in seconds), if it says."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None
