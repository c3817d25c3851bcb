"""Configuration comes from the environment; production refuses to start without what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import SETTINGS, Config, ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_development_runs_with_an_empty_environment():
    config = Config.from_env({})

    assert config.database_url.startswith("sqlite:///")
    assert config.redis_url == ""
    assert config.token_encryption_keys


def test_production_names_every_missing_required_variable():
    with pytest.raises(ConfigError) as error:
        Config.from_env({"STOREFLOW_ENV": "production"})

    for name in ("SECRET_KEY", "REDIS_URL", "SHOPIFY_API_SECRET", "TOKEN_ENCRYPTION_KEY", "APP_URL"):
        assert name in str(error.value)


def test_production_starts_when_everything_required_is_set():
    environ = {s.env: "x" for s in SETTINGS if s.required_in_production}
    environ.update(
        STOREFLOW_ENV="production",
        TOKEN_ENCRYPTION_KEY="k7ZJbqf1xsGU8w0dHqzvL-fz3K4BxC7s9EEnIrwiZlA=",
        DATABASE_URL="postgres://u:p@db.example.com:5432/app",
    )

    config = Config.from_env(environ)

    assert config.is_production
    assert config.database_url == "postgresql+psycopg://u:p@db.example.com:5432/app"


def test_production_refuses_a_compressed_clock():
    environ = {s.env: "x" for s in SETTINGS if s.required_in_production}
    environ.update(STOREFLOW_ENV="production", CLOCK_SPEEDUP="60", TOKEN_ENCRYPTION_KEY="k" * 40)

    with pytest.raises(ConfigError, match="CLOCK_SPEEDUP"):
        Config.from_env(environ)


def test_production_refuses_to_let_saleor_urls_reach_private_networks():
    environ = {s.env: "x" for s in SETTINGS if s.required_in_production}
    environ.update(
        STOREFLOW_ENV="production", SALEOR_ALLOW_PRIVATE_NETWORKS="true", TOKEN_ENCRYPTION_KEY="k" * 40
    )

    with pytest.raises(ConfigError, match="SALEOR_ALLOW_PRIVATE_NETWORKS"):
        Config.from_env(environ)


def test_production_refuses_a_short_token_key():
    environ = {s.env: "x" for s in SETTINGS if s.required_in_production}
    environ.update(STOREFLOW_ENV="production", TOKEN_ENCRYPTION_KEY="short")

    with pytest.raises(ConfigError, match="at least 32 characters"):
        Config.from_env(environ)


def test_a_generated_secret_works_as_a_token_key():
    from app.crypto import TokenCipher

    cipher = TokenCipher(("f" * 64,))

    assert cipher.decrypt(cipher.encrypt("shpat_secret")) == "shpat_secret"


def test_tokens_written_with_an_old_key_still_decrypt_after_rotation():
    from app.crypto import TokenCipher

    old = TokenCipher(("old-" + "o" * 40,))
    rotated = TokenCipher(("new-" + "n" * 40, "old-" + "o" * 40))

    assert rotated.decrypt(old.encrypt("shpat_secret")) == "shpat_secret"


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="STOREFLOW_ENV"):
        Config.from_env({"STOREFLOW_ENV": "staging"})


def test_a_malformed_number_is_reported():
    with pytest.raises(ConfigError, match="Invalid number"):
        Config.from_env({"WEBHOOK_MAX_BYTES": "lots"})


def test_readme_documents_every_environment_variable():
    readme = README.read_text()

    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_the_heroku_button_asks_for_every_production_setting():
    import json

    app_json = json.loads((README.parent / "app.json").read_text())
    provided_elsewhere = {
        "DATABASE_URL",
        "REDIS_URL",
        "CLOCK_SPEEDUP",
        "CLOCK_EPOCH",
        "SALEOR_ALLOW_PRIVATE_NETWORKS",
    }

    missing = [s.env for s in SETTINGS if s.env not in provided_elsewhere and s.env not in app_json["env"]]
    assert missing == []
    assert {a["plan"].split(":")[0] for a in app_json["addons"]} == {"heroku-postgresql", "heroku-redis"}


def test_the_procfile_declares_the_web_worker_and_release_roles():
    roles = dict(line.split(":", 1) for line in (README.parent / "Procfile").read_text().splitlines() if line)

    assert "waitress-serve" in roles["web"] and roles["web"].strip().endswith("wsgi:app")
    assert "storeflow worker" in roles["worker"]
    assert roles["release"].strip() == "flask --app wsgi db upgrade"


def test_vapid_keys_are_checked_at_start_up():
    from app.push.vapid import new_key_pair

    private_key, public_key = new_key_pair()
    _, other_public = new_key_pair()

    assert Config.from_env({"VAPID_PRIVATE_KEY": private_key}).vapid_public_key == public_key
    with pytest.raises(ConfigError, match="VAPID_PUBLIC_KEY is not the public half"):
        Config.from_env({"VAPID_PRIVATE_KEY": private_key, "VAPID_PUBLIC_KEY": other_public})
    with pytest.raises(ConfigError, match="not a base64url P-256 private key"):
        Config.from_env({"VAPID_PRIVATE_KEY": "not-a-key"})


def test_development_offers_push_with_its_own_public_key_and_production_needs_keys():
    from app.push.vapid import DEV_PUBLIC_KEY

    environ = {s.env: "x" for s in SETTINGS if s.required_in_production}
    environ.update(STOREFLOW_ENV="production", TOKEN_ENCRYPTION_KEY="k" * 40)

    assert Config.from_env({}).vapid_public_key == DEV_PUBLIC_KEY
    assert Config.from_env({}).vapid_private_key == ""
    assert not Config.from_env(environ).push_enabled
