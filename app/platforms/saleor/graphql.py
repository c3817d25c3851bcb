"""Talk to one Saleor instance's GraphQL API with its app token."""

from __future__ import annotations

from typing import Any

import requests

from app.platforms.saleor.errors import SaleorApiError

TIMEOUT_SECONDS = 10.0


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
        if response.status_code != 200:
            raise SaleorApiError(f"{self.api_url} answered {response.status_code}", response.status_code)
        try:
            document = response.json()
        except (ValueError, RecursionError):
            raise SaleorApiError(f"{self.api_url} answered something that is not JSON", 502) from None
        errors = document.get("errors") if isinstance(document, dict) else None
        if errors:
            first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
            raise SaleorApiError(f"{self.api_url} refused the request: {first}", 400)
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise SaleorApiError(f"{self.api_url} answered without data", 502)
        return data
