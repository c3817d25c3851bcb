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
    environ.update(STOREFLOW_ENV="production", CLOCK_SPEEDUP="60")

    with pytest.raises(ConfigError, match="CLOCK_SPEEDUP"):
        Config.from_env(environ)


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
