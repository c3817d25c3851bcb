"""Configuration comes from the environment; production refuses to start without what it needs."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import DEV_SECRET_KEY, PLATFORMS, SETTINGS, Config, ConfigError, Setting

README = Path(__file__).resolve().parents[1] / "README.md"
# Strong enough for production: what `app.json`'s generator and `secrets.token_hex(32)` make.
STRONG_SECRET = "5f0c8e3b9a7d41e6b2c4f8a1d3e5b7c9a0f2e4d6c8b1a3f5e7d9c2b4a6f8e0d1"
STRONG_TOKEN_KEY = "k7ZJbqf1xsGU8w0dHqzvL-fz3K4BxC7s9EEnIrwiZlA="


def production(**changes: str) -> dict[str, str]:
    """A production environment that starts (Shopify switched on); ``changes`` add, or remove with ""."""
    environ = {
        "STOREFLOW_ENV": "production",
        "SECRET_KEY": STRONG_SECRET,
        "TOKEN_ENCRYPTION_KEY": STRONG_TOKEN_KEY,
        "REDIS_URL": "redis://redis.example.com:6379/0",
        "APP_URL": "https://storeflow.example.com",
        "MAIL_FROM": "shop@example.com",
        "SHOPIFY_API_KEY": "client-id",
        "SHOPIFY_API_SECRET": "client-secret",
    }
    environ.update(changes)
    return {name: value for name, value in environ.items() if value}


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
    config = Config.from_env(production(DATABASE_URL="postgres://u:p@db.example.com:5432/app"))

    assert config.is_production
    assert config.database_url == "postgresql+psycopg://u:p@db.example.com:5432/app"


def test_production_refuses_a_compressed_clock():
    with pytest.raises(ConfigError, match="CLOCK_SPEEDUP"):
        Config.from_env(production(CLOCK_SPEEDUP="60"))


def test_production_refuses_to_let_saleor_urls_reach_private_networks():
    with pytest.raises(ConfigError, match="SALEOR_ALLOW_PRIVATE_NETWORKS"):
        Config.from_env(production(SALEOR_ALLOW_PRIVATE_NETWORKS="true"))


def test_production_refuses_a_short_token_key():
    with pytest.raises(ConfigError, match="at least 32 characters"):
        Config.from_env(production(TOKEN_ENCRYPTION_KEY="short"))


@pytest.mark.parametrize(
    "secret_key",
    [DEV_SECRET_KEY, "x", "demo-secret-key", "test-secret-key", "k" * 64],
    ids=["development key", "one character", "demo key", "test key", "one repeated character"],
)
def test_production_refuses_a_known_or_weak_secret_key(secret_key):
    with pytest.raises(ConfigError, match="SECRET_KEY") as error:
        Config.from_env(production(SECRET_KEY=secret_key))

    assert secret_key not in str(error.value).split()
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "token_key",
    [Config.from_env({}).token_encryption_keys[0], DEV_SECRET_KEY, STRONG_SECRET, "k" * 40],
    ids=["development token key", "development secret key", "same as SECRET_KEY", "one repeated character"],
)
def test_production_refuses_a_known_or_weak_token_key(token_key):
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY"):
        Config.from_env(production(TOKEN_ENCRYPTION_KEY=f"{STRONG_TOKEN_KEY},{token_key}"))


def test_a_saleor_only_production_needs_no_shopify_variable():
    config = Config.from_env(
        production(
            SHOPIFY_API_KEY="",
            SHOPIFY_API_SECRET="",
            SALEOR_ALLOWED_API_URLS="https://*.saleor.cloud/graphql/",
        )
    )

    assert config.serves("saleor")
    assert not config.serves("shopify")


def test_a_shopify_only_production_needs_no_saleor_variable():
    config = Config.from_env(production())

    assert config.serves("shopify")
    assert not config.serves("saleor")


def test_production_serving_no_platform_refuses_to_start():
    with pytest.raises(ConfigError, match="no store platform") as error:
        Config.from_env(production(SHOPIFY_API_KEY="", SHOPIFY_API_SECRET=""))

    assert "SHOPIFY_API_KEY" in str(error.value)
    assert "SALEOR_ALLOWED_API_URLS" in str(error.value)


@pytest.mark.parametrize("mode", ["development", "production"])
def test_a_half_configured_shopify_names_what_is_missing(mode):
    with pytest.raises(ConfigError, match="SHOPIFY_API_SECRET"):
        Config.from_env(production(STOREFLOW_ENV=mode, SHOPIFY_API_SECRET=""))


def test_development_serves_no_platform_when_nothing_is_set():
    config = Config.from_env({})

    assert not config.serves("shopify")
    assert not config.serves("saleor")


def test_saleor_dashboard_origins_must_be_origins():
    config = Config.from_env(
        {"SALEOR_DASHBOARD_ORIGINS": "https://dashboard.example.com, http://localhost:9000"}
    )

    assert config.saleor_dashboard_origins == ("https://dashboard.example.com", "http://localhost:9000")
    with pytest.raises(ConfigError, match="SALEOR_DASHBOARD_ORIGINS"):
        Config.from_env({"SALEOR_DASHBOARD_ORIGINS": "https://dashboard.example.com/; script-src *"})


def test_a_generated_secret_works_as_a_token_key():
    from app.core.crypto import TokenCipher

    cipher = TokenCipher(("f" * 64,))

    assert cipher.decrypt(cipher.encrypt("shpat_secret")) == "shpat_secret"


def test_tokens_written_with_an_old_key_still_decrypt_after_rotation():
    from app.core.crypto import TokenCipher

    old = TokenCipher(("old-" + "o" * 40,))
    rotated = TokenCipher(("new-" + "n" * 40, "old-" + "o" * 40))

    assert rotated.decrypt(old.encrypt("shpat_secret")) == "shpat_secret"


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="STOREFLOW_ENV"):
        Config.from_env({"STOREFLOW_ENV": "staging"})


def test_a_malformed_number_is_reported():
    with pytest.raises(ConfigError, match="Invalid number"):
        Config.from_env({"WEBHOOK_MAX_BYTES": "lots"})


def readme_configuration_rows() -> dict[str, tuple[str, str]]:
    """README's configuration table: variable → (its Default cell, its Required in production cell)."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\| `([A-Z0-9_]+)` \|([^|]*)\|([^|]*)\|.*\|", line)
        if match:
            rows[match[1]] = (match[2].strip(), match[3].strip())
    return rows


def readme_requirement(declared: Setting) -> str:
    """What README's Required column says of a setting, from its declaration and the platforms'."""
    if declared.required_in_production:
        return "yes"
    if declared.switches_on:
        return "with " + next(p.label for p in PLATFORMS if p.name == declared.switches_on)
    return ""


def test_readme_configuration_table_has_one_row_per_declared_setting():
    assert sorted(readme_configuration_rows()) == sorted(s.env for s in SETTINGS)


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda s: s.env)
def test_readme_shows_each_setting_as_declared(declared):
    default_cell, required_cell = readme_configuration_rows()[declared.env]

    assert required_cell == readme_requirement(declared)
    if declared.default:
        assert f"`{declared.default}`" in default_cell


def app_json_env() -> dict[str, dict[str, object]]:
    return dict(json.loads((README.parent / "app.json").read_text())["env"])


def test_the_heroku_button_asks_for_exactly_the_settings_it_can_set():
    on_heroku = [s.env for s in SETTINGS if not s.not_on_heroku]

    assert sorted(app_json_env()) == sorted(on_heroku)
    addons = json.loads((README.parent / "app.json").read_text())["addons"]
    assert {a["plan"].split(":")[0] for a in addons} == {"heroku-postgresql", "heroku-redis"}


@pytest.mark.parametrize("declared", [s for s in SETTINGS if not s.not_on_heroku], ids=lambda s: s.env)
def test_the_heroku_button_offers_each_setting_as_declared(declared):
    entry = app_json_env()[declared.env]

    assert entry["description"]
    if declared.secret:
        assert entry["generator"] == "secret"
    elif declared.required_in_production:
        assert entry["required"] is True
    elif declared.heroku_value is not None or declared.default:
        assert entry["value"] == (
            declared.heroku_value if declared.heroku_value is not None else declared.default
        )
    else:
        assert entry["required"] is False


CORE_HELPERS = {
    "app.core.api_urls",
    "app.core.errors",
    "app.core.sendgrid_key",
    "app.core.vapid",
    "app.core.weak_secrets",
}
CORE_LIBRARIES = {"cryptography", "py_vapid"}


def imported_modules(module: str) -> set[str]:
    tree = ast.parse((README.parent / (module.replace(".", "/") + ".py")).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", ["app.core.config", *sorted(CORE_HELPERS)])
def test_the_configuration_stands_on_the_core_floor(module):
    outside = {
        name
        for name in imported_modules(module)
        if name not in CORE_HELPERS
        and name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in CORE_LIBRARIES
    }

    assert outside == set()


def procfile_roles() -> dict[str, str]:
    lines = (README.parent / "Procfile").read_text().splitlines()
    return {role: command.strip() for role, command in (line.split(":", 1) for line in lines if line)}


def without_environment_prefix(command: str) -> str:
    """Drop the leading ``NAME=value`` assignments of a Procfile command."""
    words = command.split()
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        words.pop(0)
    return " ".join(words)


def test_the_procfile_declares_the_web_worker_and_release_roles():
    roles = {role: without_environment_prefix(command) for role, command in procfile_roles().items()}

    assert roles["web"].startswith("waitress-serve") and roles["web"].endswith("wsgi:app")
    assert "storeflow worker" in roles["worker"]
    assert roles["release"] == "flask --app wsgi db upgrade"


@pytest.mark.parametrize("role", ["web", "worker", "release"])
@pytest.mark.parametrize(
    ("set_by_operator", "expected"), [(None, "production"), ("development", "development")]
)
def test_every_procfile_role_runs_in_production_unless_the_operator_says_otherwise(
    role, set_by_operator, expected
):
    command = procfile_roles()[role]
    assignments = command[: len(command) - len(without_environment_prefix(command))]
    environ = {"PATH": "/usr/bin:/bin"} | ({"STOREFLOW_ENV": set_by_operator} if set_by_operator else {})

    shown = subprocess.run(
        ["bash", "-c", f"{assignments} env"], env=environ, capture_output=True, text=True, check=True
    ).stdout

    assert f"STOREFLOW_ENV={expected}" in shown.splitlines()


def test_the_heroku_button_runs_in_production():
    app_json = json.loads((README.parent / "app.json").read_text())

    assert app_json["env"]["STOREFLOW_ENV"]["value"] == "production"
    assert app_json["env"]["SECRET_KEY"]["generator"] == "secret"
    assert app_json["env"]["TOKEN_ENCRYPTION_KEY"]["generator"] == "secret"


def test_vapid_keys_are_checked_at_start_up():
    from app.core.vapid import new_key_pair

    private_key, public_key = new_key_pair()
    _, other_public = new_key_pair()

    assert Config.from_env({"VAPID_PRIVATE_KEY": private_key}).vapid_public_key == public_key
    with pytest.raises(ConfigError, match="VAPID_PUBLIC_KEY is not the public half"):
        Config.from_env({"VAPID_PRIVATE_KEY": private_key, "VAPID_PUBLIC_KEY": other_public})
    with pytest.raises(ConfigError, match="not a base64url P-256 private key"):
        Config.from_env({"VAPID_PRIVATE_KEY": "not-a-key"})


def test_development_offers_push_with_its_own_public_key_and_production_needs_keys():
    from app.core.vapid import DEV_PUBLIC_KEY

    assert Config.from_env({}).vapid_public_key == DEV_PUBLIC_KEY
    assert Config.from_env({}).vapid_private_key == ""
    assert not Config.from_env(production()).push_enabled


def test_development_on_a_server_database_is_logged_loudly(postgres_url, caplog):
    from app.web.factory import create_app

    config = Config.from_env({"DATABASE_URL": postgres_url, "REDIS_URL": "redis://127.0.0.1:6379/0"})

    app = create_app(config)

    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "development" in r.getMessage()]
    assert warnings and "STOREFLOW_ENV=production" in warnings[0].getMessage()
    app.extensions["storeflow"].close()


def test_development_on_sqlite_is_not_warned_about(tmp_path, caplog):
    from app.web.factory import create_app

    app = create_app(Config.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}))

    assert not [r for r in caplog.records if r.levelname == "WARNING" and "development" in r.getMessage()]
    app.extensions["storeflow"].close()
