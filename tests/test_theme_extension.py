"""Every file of the Shopify extensions parses, follows Shopify's documented schema and limits, and
agrees with the code: the proxy path, the routes it loads, the settings and translations it names.

https://shopify.dev/docs/apps/build/online-store/theme-app-extensions/configuration
"""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from pathlib import Path

import pytest
from flask import Flask

from app.platforms.shopify.app_proxy import DEFAULT_PATH_PREFIX, PROXY_ROOT
from tests.support.liquid import render

ROOT = Path(__file__).resolve().parents[1]
THEME = ROOT / "extensions" / "storeflow-theme"
BLOCKS = sorted((THEME / "blocks").glob("*.liquid"))
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)

# Schema attributes of app blocks and app embed blocks, and their targets (shopify.dev, "Configure
# theme app extensions", Schema).
SCHEMA_KEYS = {
    "name",
    "target",
    "settings",
    "javascript",
    "stylesheet",
    "class",
    "tag",
    "enabled_on",
    "disabled_on",
    "available_if",
    "default",
}
EMBED_TARGETS = {"head", "body", "compliance_head"}
SETTING_TYPES = {
    "checkbox",
    "text",
    "textarea",
    "select",
    "radio",
    "range",
    "number",
    "color",
    "url",
    "richtext",
}
# Limits a theme app extension is held to (same page, "File and content size limits").
MAX_TOTAL_BYTES = 10 * 1024 * 1024
MAX_LIQUID_BYTES = 100 * 1024
MAX_LOCALE_BYTES = 15 * 1024
MAX_BLOCKS = 30
SUGGESTED_JS_GZIP_BYTES = 10_000
# Liquid an app block cannot use: it renders inside the merchant's theme, not as its layout.
FORBIDDEN_TAGS = ("include", "layout", "section", "sections")


def schema(block: Path) -> dict:
    [found] = SCHEMA.findall(block.read_text())
    return json.loads(found)


def markup(block: Path) -> str:
    """The block's Liquid without its schema and its comments."""
    text = SCHEMA.sub("", block.read_text())
    return re.sub(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", "", text, flags=re.S)


def block_named(name: str) -> Path:
    return THEME / "blocks" / f"{name}.liquid"


def app_toml() -> dict:
    return tomllib.loads((ROOT / "shopify.app.toml").read_text())


def test_the_theme_extension_toml_is_a_theme_extension():
    config = tomllib.loads((THEME / "shopify.extension.toml").read_text())

    assert config["type"] == "theme"
    assert isinstance(config["name"], str) and config["name"]


def test_every_extension_toml_parses():
    for path in (ROOT / "extensions").glob("*/shopify.extension.toml"):
        config = tomllib.loads(path.read_text())
        assert config["type"] in {"theme", "web_pixel_extension"}, path


def test_the_theme_extension_holds_only_the_folders_shopify_reads():
    folders = {p.name for p in THEME.iterdir() if p.is_dir()}

    assert folders <= {"assets", "blocks", "snippets", "locales"}
    assert {p.name for p in THEME.iterdir() if p.is_file()} == {"shopify.extension.toml"}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_each_block_has_one_schema_of_documented_keys(block: Path):
    document = schema(block)

    assert set(document) <= SCHEMA_KEYS
    assert isinstance(document["name"], str) and 0 < len(document["name"]) <= 25
    assert document["target"] in EMBED_TARGETS | {"section"}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_each_blocks_settings_are_declared_once_and_each_one_is_used(block: Path):
    settings = schema(block).get("settings", [])
    ids = [s["id"] for s in settings]
    used = set(re.findall(r"block\.settings\.([a-z_]+)", markup(block)))

    assert len(ids) == len(set(ids))
    assert all(s["type"] in SETTING_TYPES and s["label"] for s in settings)
    assert used == set(ids)
    for setting in settings:
        if setting["type"] == "select":
            assert setting["default"] in {option["value"] for option in setting["options"]}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_each_blocks_assets_exist(block: Path):
    document = schema(block)

    for key in ("javascript", "stylesheet"):
        if key in document:
            assert (THEME / "assets" / document[key]).is_file(), document[key]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_each_block_uses_only_liquid_an_app_block_may(block: Path):
    tags = re.findall(r"{%-?\s*(\w+)", markup(block))

    assert not set(tags) & set(FORBIDDEN_TAGS)
    assert "content_for_header" not in markup(block)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_every_translation_a_block_uses_is_in_the_default_locale(block: Path):
    locale = json.loads((THEME / "locales" / "en.default.json").read_text())
    keys = re.findall(r"'([a-z_.]+)'\s*\|\s*t\b", markup(block))

    assert keys
    for key in keys:
        node = locale
        for part in key.split("."):
            node = node[part]
        assert isinstance(node, str) and node


def test_the_extension_stays_within_shopifys_size_limits():
    files = [p for p in THEME.rglob("*") if p.is_file()]
    liquid = sum(p.stat().st_size for p in files if p.suffix == ".liquid")

    assert sum(p.stat().st_size for p in files) <= MAX_TOTAL_BYTES
    assert liquid <= MAX_LIQUID_BYTES
    assert len(BLOCKS) <= MAX_BLOCKS
    assert all(p.stat().st_size <= MAX_LOCALE_BYTES for p in (THEME / "locales").glob("*.json"))
    for script in (THEME / "assets").glob("*.js"):
        assert len(gzip.compress(script.read_bytes())) <= SUGGESTED_JS_GZIP_BYTES


def test_the_embed_block_is_an_app_embed_loading_the_snippet_through_the_app_proxy(app: Flask):
    embed = block_named("storeflow-embed")
    document = schema(embed)
    proxy = app_toml()["app_proxy"]
    default_path = next(s["default"] for s in document["settings"] if s["id"] == "proxy_path")
    loaded = re.findall(re.escape('src="{{ storeflow_proxy | escape }}/') + r'([\w.-]+)"', markup(embed))
    routes = {rule.rule for rule in app.url_map.iter_rules()}

    assert document["target"] in EMBED_TARGETS
    assert default_path == f"/{proxy['prefix']}/{proxy['subpath']}" == DEFAULT_PATH_PREFIX
    assert f"'{DEFAULT_PATH_PREFIX}'" in markup(embed)
    assert loaded == ["storeflow.js"]
    # The snippet loads these two from the same path: the worker, and the forms the embed's switch allows.
    assert {f"{PROXY_ROOT}/{name}" for name in [*loaded, "sw.js", "forms.js"]} <= routes
    assert re.search(
        r'data-forms="{% if block.settings.signup_forms %}on{% else %}off{% endif %}"', markup(embed)
    )


def test_the_toml_proxy_url_is_the_proxy_root_the_app_serves():
    assert app_toml()["app_proxy"]["url"].endswith(PROXY_ROOT)


def test_the_push_button_is_the_snippets_click_to_ask_button_and_nothing_asks_on_load():
    embed = markup(block_named("storeflow-embed"))
    snippet = (ROOT / "app" / "static" / "storeflow.js").read_text()

    assert re.search(r"<button[^>]*\bdata-storeflow-push\b", embed)
    assert '"[data-storeflow-push]"' in snippet
    assert "requestPermission" not in embed
    assert "<script>" not in embed  # no inline script that could prompt before a click


def test_the_notify_block_is_for_product_pages_and_posts_the_fields_the_endpoint_reads():
    block = block_named("notify-me")
    document = schema(block)
    names = set(re.findall(r'name="(\w+)"', markup(block)))
    script = (THEME / "assets" / document["javascript"]).read_text()
    endpoint = (ROOT / "app" / "web" / "storefront" / "notify.py").read_text()

    assert document["target"] == "section"
    assert document["enabled_on"] == {"templates": ["product"]}
    assert names == {"email", "product_id", "variant_id", "subscribe"}
    assert all(f'request.form.get("{name}"' in endpoint for name in names)
    assert "storeflow.notify(" in script


def test_every_form_field_of_the_notify_block_has_a_label():
    text = markup(block_named("notify-me"))
    email_id = re.search(r'<input id="([^"]+)" type="email"', text)

    assert email_id is not None
    assert f'<label for="{email_id.group(1)}">' in text
    assert re.search(r'<label[^>]*>\s*<input type="checkbox" name="subscribe">', text)


def rendered(name: str, **context: object) -> str:
    block = block_named(name)
    defaults = {s["id"]: s.get("default") for s in schema(block).get("settings", [])}
    translations = json.loads((THEME / "locales" / "en.default.json").read_text())
    return render(block.read_text(), {"block": {"id": "b1", "settings": defaults}, **context}, translations)


def test_the_embed_renders_the_snippet_tag_and_the_button_with_its_defaults():
    html = rendered("storeflow-embed")

    assert '<script src="/apps/storeflow/storeflow.js" data-forms="on" async></script>' in html
    assert re.search(r"<button [^>]*data-storeflow-push>Get updates</button>", html)


def test_the_notify_block_shows_only_while_the_variant_is_sold_out():
    sold_out = {"id": 1, "selected_or_first_available_variant": {"id": 2, "available": False}}
    in_stock = {"id": 1, "selected_or_first_available_variant": {"id": 2, "available": True}}

    assert 'name="product_id" value="1"' in rendered("notify-me", product=sold_out)
    assert rendered("notify-me", product=in_stock).strip() == ""
