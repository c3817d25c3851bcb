"""Saleor API URLs have one normal form, and only allowlisted ones are ever trusted or contacted."""

from __future__ import annotations

import pytest

from app.core.config import Config, ConfigError
from app.platforms.saleor.errors import InvalidApiUrlError
from app.platforms.saleor.urls import ApiUrlAllowlist, jwks_url, normalize_api_url


@pytest.mark.parametrize(
    "raw",
    [
        "https://demo.saleor.cloud/graphql/",
        "HTTPS://Demo.Saleor.Cloud/graphql/",
        "https://demo.saleor.cloud:443/graphql/",
        "https://demo.saleor.cloud/graphql",
        "  https://demo.saleor.cloud/graphql/ ",
    ],
)
def test_spellings_of_one_api_url_normalize_alike(raw):
    assert normalize_api_url(raw) == "https://demo.saleor.cloud/graphql/"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "demo.saleor.cloud/graphql/",
        "ftp://demo.saleor.cloud/graphql/",
        "https://user:pass@demo.saleor.cloud/graphql/",
        "https://demo.saleor.cloud/graphql/?next=/evil",
        "https://demo.saleor.cloud:99999/graphql/",
        "https://" + "a" * 260 + ".com/graphql/",
    ],
)
def test_what_cannot_key_an_installation_is_refused(raw):
    with pytest.raises(InvalidApiUrlError):
        normalize_api_url(raw)


def test_the_keys_live_at_the_origin_of_the_api_url():
    assert jwks_url("https://demo.saleor.cloud/graphql/") == "https://demo.saleor.cloud/.well-known/jwks.json"


def test_an_empty_allowlist_allows_nothing():
    assert not ApiUrlAllowlist(()).allows("https://demo.saleor.cloud/graphql/")


def test_a_wildcard_stands_for_one_host_label():
    allowlist = ApiUrlAllowlist(("https://*.saleor.cloud/graphql/",))

    assert allowlist.allows("https://demo.saleor.cloud/graphql/")
    assert not allowlist.allows("https://a.b.saleor.cloud/graphql/")
    assert not allowlist.allows("https://saleor.cloud/graphql/")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.test/x.saleor.cloud/graphql/",
        "https://demo.saleor.cloud.evil.test/graphql/",
        "http://demo.saleor.cloud/graphql/",
        "https://demo.saleor.cloud/graphql/extra/",
        "https://demo.saleor.cloud:8443/graphql/",
    ],
)
def test_look_alike_urls_are_not_allowed(url):
    assert not ApiUrlAllowlist(("https://*.saleor.cloud/graphql/",)).allows(url)


def test_an_exact_entry_allows_that_instance_only():
    allowlist = ApiUrlAllowlist(("https://shop.example.com/graphql/",))

    assert allowlist.allows("https://shop.example.com/graphql/")
    assert not allowlist.allows("https://other.example.com/graphql/")


@pytest.mark.parametrize("pattern", ["https://demo.*.cloud/graphql/", "*", "https://*/graphql/", "not a url"])
def test_a_malformed_allowlist_stops_start_up(pattern):
    with pytest.raises(ConfigError, match="SALEOR_ALLOWED_API_URLS"):
        Config.from_env({"SALEOR_ALLOWED_API_URLS": pattern})


def test_the_allowlist_setting_is_comma_separated():
    config = Config.from_env(
        {"SALEOR_ALLOWED_API_URLS": "https://a.test/graphql/, https://*.b.test/graphql/"}
    )

    assert config.saleor_allowed_api_urls == ("https://a.test/graphql/", "https://*.b.test/graphql/")


def test_a_consent_key_that_could_break_a_query_stops_start_up():
    with pytest.raises(ConfigError, match="SALEOR_CONSENT_METADATA_KEY"):
        Config.from_env({"SALEOR_CONSENT_METADATA_KEY": 'x") { id } #'})
