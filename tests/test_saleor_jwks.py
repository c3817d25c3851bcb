"""Signing keys are cached per instance, refreshed when old, and refetched at most so often on failure."""

from __future__ import annotations

import jwt
import pytest
import requests
import responses

from app.platforms.saleor.jwks import JwksClient
from tests.support.saleor import API_URL, JWKS_URL, jwks, serve_jwks, signing_key
from webhooks.saleor.errors import JwksUnavailableError, UnknownSigningKeyError


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def monotonic():
    return FakeMonotonic()


@pytest.fixture
def client(monotonic):
    return JwksClient(requests.Session(), max_age=3600, refetch_interval=10, monotonic=monotonic)


def kid_of(key: jwt.PyJWK) -> str:
    return key.key_id or ""


def test_the_key_named_by_kid_is_handed_to_the_check(client, saleor):
    assert client.verify(API_URL, "k1", kid_of) == "k1"


def test_a_signature_without_kid_uses_the_only_published_key(client, saleor):
    assert client.verify(API_URL, None, kid_of) == "k1"


def test_keys_older_than_max_age_are_fetched_again(client, saleor, monotonic):
    client.verify(API_URL, "k1", kid_of)
    monotonic.now += 3601

    client.verify(API_URL, "k1", kid_of)

    assert len(saleor.calls) == 2


def test_an_unknown_kid_is_refetched_again_once_the_interval_passed(client, saleor, monotonic):
    client.verify(API_URL, "k1", kid_of)
    for _ in range(2):
        monotonic.now += 11
        with pytest.raises(UnknownSigningKeyError):
            client.verify(API_URL, "k2", kid_of)

    assert len(saleor.calls) == 3


def test_a_document_that_is_not_a_key_set_is_unavailable_keys(client):
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, json={"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})

        with pytest.raises(JwksUnavailableError, match="no RSA signing key"):
            client.verify(API_URL, "k1", kid_of)


def test_a_redirect_is_not_followed(client):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(JWKS_URL, status=302, headers={"Location": "https://elsewhere.test/jwks.json"})
        elsewhere = mock.get("https://elsewhere.test/jwks.json", json=jwks(signing_key("k1")))

        with pytest.raises(JwksUnavailableError, match="302"):
            client.verify(API_URL, "k1", kid_of)

    assert elsewhere.call_count == 0
