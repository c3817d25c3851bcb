"""Saleor's side, faked at the HTTP boundary: RSA signing keys, their JWKS, signed deliveries, tokens.

Keys are real 2048-bit RSA keys made with ``cryptography``; signatures are the detached RS256 JWS
Saleor sends (``b64: false``); the JWKS and GraphQL answers are served with ``responses``, since
Storeflow talks to Saleor through ``requests``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from demo.saleor_history import history_connection, load_history, page
from webhooks.saleor.verify import sign

API_URL = "https://demo.saleor.test/graphql/"
JWKS_URL = "https://demo.saleor.test/.well-known/jwks.json"
OTHER_API_URL = "https://other.saleor.test/graphql/"
OTHER_JWKS_URL = "https://other.saleor.test/.well-known/jwks.json"
ALLOWLIST = ("https://*.saleor.test/graphql/",)
APP_ID = "QXBwOjQy"  # App:42
AUTH_TOKEN = "saleor-app-token-0123456789"


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair with the ``kid`` Saleor would publish it under."""

    private: rsa.RSAPrivateKey
    kid: str

    def jwk(self) -> dict[str, Any]:
        """The public key as Saleor's JWKS lists it."""
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "use": "sig", "kid": self.kid}

    def sign(self, body: bytes) -> str:
        """The ``Saleor-Signature`` Saleor would send with this body."""
        return sign(body, self.private, self.kid)

    def dashboard_token(self, issuer: str = API_URL, **claims: Any) -> str:
        """A dashboard token as Saleor issues it to an app for a staff user (wall-clock times)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iat": now,
            "owner": "saleor",
            "iss": issuer,
            "exp": now + 300,
            "token": "user-jwt-key",
            "email": "staff@demo.saleor.test",
            "type": "thirdparty",
            "user_id": "VXNlcjox",
            "is_staff": True,
            "app": APP_ID,
            "permissions": ["MANAGE_CHECKOUTS", "MANAGE_ORDERS", "MANAGE_USERS"],
            "user_permissions": ["MANAGE_APPS", "MANAGE_ORDERS"],
        }
        payload.update(claims)
        clean = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(clean, self.private, algorithm="RS256", headers={"kid": self.kid})


@cache
def signing_key(kid: str) -> SigningKey:
    """Return the test key for a kid (made once per run: RSA key generation is slow)."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)


@cache
def other_key(kid: str) -> SigningKey:
    """Return a second, unrelated key published under the same kid (an attacker's, or a rotated one)."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    """A JWKS document listing these keys."""
    return {"keys": [key.jwk() for key in keys]}


def serve_jwks(
    mock: responses.RequestsMock, *keys: SigningKey, url: str = JWKS_URL
) -> responses.BaseResponse:
    """Answer the instance's JWKS URL with these keys (replacing any earlier answer)."""
    mock.remove(responses.GET, url)
    return mock.get(url, json=jwks(*keys))


def global_id(type_name: str, pk: str) -> str:
    """Saleor's Relay global id: base64 of ``<type>:<pk>``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def saleor_headers(body: bytes, event: str, key: SigningKey, api_url: str = API_URL) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Saleor-Event": event.lower(),
        "Saleor-Domain": api_url.split("/")[2],
        "Saleor-Api-Url": api_url,
        "Saleor-Signature": key.sign(body),
    }


def deliver(
    client: FlaskClient,
    event: str,
    payload: dict[str, Any] | bytes,
    key: SigningKey | None = None,
    api_url: str = API_URL,
    **header_overrides: str,
) -> TestResponse:
    """POST one signed Saleor webhook to /webhooks/saleor."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = saleor_headers(body, event, key or signing_key("k1"), api_url)
    headers.update(header_overrides)
    return client.post("/webhooks/saleor", data=body, headers=headers)


def who_am_i(app_id: str | None = APP_ID, shop_name: str = "Demo Saleor Store") -> dict[str, Any]:
    """What the instance answers to the install's token check."""
    return {"data": {"app": {"id": app_id} if app_id else None, "shop": {"name": shop_name}}}


def permission_denied(field: str, permission: str) -> dict[str, Any]:
    """What Saleor answers a query for a field the app lacks the permission for (HTTP 200)."""
    return {
        "data": {field: None},
        "errors": [
            {
                "message": f"To access this path, you need one of the following permissions: {permission}",
                "locations": [{"line": 1, "column": 60}],
                "path": [field],
                "extensions": {"exception": {"code": "PermissionDenied"}},
            }
        ],
    }


def query_too_costly(requested: int, maximum: int = 50000) -> dict[str, Any]:
    """What Saleor answers (HTTP 400) a query over GRAPHQL_QUERY_MAX_COMPLEXITY, unrun."""
    return {
        "errors": [
            {
                "message": f"The query exceeds the maximum cost of {maximum}. Actual cost is {requested}",
                "extensions": {
                    "exception": {"code": "GraphQLError"},
                    "cost": {"requestedQueryCost": requested, "maximumAvailable": maximum},
                },
            }
        ]
    }


class SaleorHistoryServer:
    """The instance's history connections at the HTTP boundary, paged as Saleor pages them.

    It serves the demo's bundled answers (demo/saleor_history.py) unless given others, and can be
    told to refuse a connection for a missing permission, to find pages over ``max_first`` too
    costly, or to answer the next requests with a 429.
    """

    def __init__(self, mock: responses.RequestsMock, connections: dict[str, Any] | None = None) -> None:
        self.connections = connections if connections is not None else load_history()
        self.refused: dict[str, str] = {}  # connection -> the permission the app lacks
        self.max_first: int | None = None
        self.throttled = 0
        self.requests: list[dict[str, Any]] = []
        self.tokens: list[str | None] = []  # each request's Authorization header
        mock.add_callback(responses.POST, API_URL, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        document = json.loads(request.body)
        self.requests.append(document)
        self.tokens.append(request.headers.get("Authorization"))
        query, variables = document["query"], document.get("variables") or {}
        name = history_connection(query)
        if name is None:
            return 400, {}, json.dumps({"errors": [{"message": "not a history query"}]})
        if self.throttled:
            self.throttled -= 1
            return 429, {"Retry-After": "2"}, json.dumps({"errors": [{"message": "Too many requests"}]})
        if name in self.refused:
            return 200, {}, json.dumps(permission_denied(name, self.refused[name]))
        if self.max_first is not None and variables["first"] > self.max_first:
            return 400, {}, json.dumps(query_too_costly(variables["first"] * 1000))
        return 200, {}, json.dumps({"data": {name: page(name, self.connections[name], variables)}})

    def variables(self) -> list[dict[str, Any]]:
        """The variables of every request so far, in order."""
        return [document.get("variables") or {} for document in self.requests]
