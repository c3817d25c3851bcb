"""Flows as files: a shop's flow settings exported to YAML or JSON and imported into another shop,
from the CLI and the admin; a bad file is refused whole, naming the flow and the setting."""

from __future__ import annotations

import io
import json
from html import unescape

import pytest
import yaml

from app.db import db
from app.db.models import FlowSetting
from flows.files import MAX_FILE_BYTES, export_document
from tests.support.admin import log_in
from tests.support.db import rows

TUNED = {
    "welcome_series": {
        "delays": {"discount_delay": 2 * 86400},
        "steps": {"preferences_email": False},
        "params": {"discount": True, "discount_percent": 20, "brand_story": "Two friends, one loom."},
        "conditions": {"discount_email": "order_count = 0 and country in US, CA"},
        "ab": {"discount_email": 30},
        "holdout": 10,
    },
    "date_based": {"params": {"dates": [{"date": "12-24", "name": "Christmas Eve"}]}},
    "abandoned_checkout": {"holdout": 20},
}


@pytest.fixture
def source(factory):
    shop = factory.shop("source.myshopify.com")
    factory.enable(shop, *TUNED, **TUNED)
    return shop


@pytest.fixture
def target(factory):
    return factory.shop("target.myshopify.com")


def cli(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["storeflow", "flows", *args], input=input)


def document(app, shop_id: int) -> dict:
    with app.app_context():
        return export_document(db.session(), shop_id)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_an_export_imported_into_another_shop_reproduces_its_settings(app, source, target, fmt):
    exported = cli(app, "export", "--shop", source.domain, "--format", fmt)

    imported = cli(app, "import", "--shop", target.domain, "-", input=exported.output)

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    assert "imported settings of 23 flow(s)" in imported.output
    assert document(app, target.id) == document(app, source.id)
    assert document(app, target.id)["flows"]["welcome_series"]["holdout"] == 10


def test_the_export_spells_settings_in_editable_units(app, source):
    exported = yaml.safe_load(cli(app, "export", "--shop", source.domain).output)

    welcome = exported["flows"]["welcome_series"]
    assert exported["storeflow_flows"] == 1
    assert welcome["enabled"] is True
    assert welcome["delays"]["discount_delay"] == 172800
    assert welcome["conditions"]["discount_email"] == "order_count = 0 and country in US, CA"
    assert exported["flows"]["date_based"]["params"]["dates"] == "12-24: Christmas Eve"


def test_import_changes_only_what_the_file_names(app, source):
    small = "flows:\n  welcome_series:\n    holdout: 25\n"

    result = cli(app, "import", "--shop", source.domain, "-", input=small)

    assert result.exit_code == 0, result.output
    after = document(app, source.id)["flows"]["welcome_series"]
    assert after["holdout"] == 25
    assert after["ab"] == {"discount_email": 30}
    assert after["enabled"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "flows:\n  welcome_series:\n    holdout: 5\n  vip:\n    params: {vip_spend: a lot}\n",
            "vip: ... or after spending (shop currency): 'a lot' is not an amount",
        ),
        ("flows:\n  welcome_series:\n    ab: {discount_email: 150}\n", "welcome_series: "),
        (
            "flows:\n  welcome_series:\n    colour: red\n",
            "welcome_series: there is no setting called 'colour'",
        ),
        ("flows:\n  no_such_flow: {enabled: true}\n", "no_such_flow: there is no such flow"),
        (
            "flows:\n  welcome_series:\n    delays: {discount_delay: 60}\n",
            "Wait before the discount: must be",
        ),
        ("flows: [1, 2]\n", "'flows' mapping"),
        ("flows: {a: [\n", "not YAML or JSON"),
        ("flows: " + "[" * 20000, "nests too deeply"),
    ],
)
def test_a_bad_file_is_refused_naming_the_flow_and_setting_and_nothing_changes(app, source, text, message):
    before = document(app, source.id)

    result = cli(app, "import", "--shop", source.domain, "-", input=text)

    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert message in result.output
    assert document(app, source.id) == before


def test_the_admin_downloads_the_settings_as_a_file(client, source):
    log_in(client, source.id)

    response = client.get("/admin/flows/export.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="storeflow-flows-source.myshopify.com.json"'
    )
    assert json.loads(response.text)["flows"]["abandoned_checkout"]["holdout"] == 20


def test_the_admin_imports_an_uploaded_file(app, client, source, target):
    exported = cli(app, "export", "--shop", source.domain).output.encode()
    csrf = log_in(client, target.id)

    response = client.post(
        "/admin/flows/import",
        data={"csrf_token": csrf, "flow_file": (io.BytesIO(exported), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    assert document(app, target.id) == document(app, source.id)


def test_an_uploaded_bad_file_is_refused_with_400_and_nothing_stored(app, client, target):
    csrf = log_in(client, target.id)
    bad = b"flows:\n  welcome_series: {enabled: true}\n  vip: {holdout: 80}\n"

    response = client.post(
        "/admin/flows/import",
        data={"csrf_token": csrf, "flow_file": (io.BytesIO(bad), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "Nothing imported. vip: VIP: the holdout share must be a whole percent from 0 to 50" in unescape(
        response.text
    )
    assert rows(app, FlowSetting) == []


def test_an_oversized_upload_is_refused(app, client, target):
    csrf = log_in(client, target.id)
    huge = b"# padding\n" * (MAX_FILE_BYTES // 10 + 1)

    response = client.post(
        "/admin/flows/import",
        data={"csrf_token": csrf, "flow_file": (io.BytesIO(huge), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "the file is larger than 256 KB" in response.text
    assert rows(app, FlowSetting) == []


def test_an_upload_without_the_csrf_token_is_refused(app, client, target):
    log_in(client, target.id)

    response = client.post(
        "/admin/flows/import",
        data={"flow_file": (io.BytesIO(b"flows: {}\n"), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert rows(app, FlowSetting) == []


# 519 bytes that expand, alias by alias, to 4.8 million strings (the "billion laughs"): once answered
# with a 96.9 MB error page that echoed the expanded value, after 325 MB of memory.
ALIAS_BOMB = b"""a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
flows:
  abandoned_checkout:
    params: {discount_percent: *g}
    delays: {first_delay: *g}
    steps: {sms: *g}
"""


def test_an_alias_bomb_is_refused_without_expanding_or_echoing_it(app, client, target):
    csrf = log_in(client, target.id)

    response = client.post(
        "/admin/flows/import",
        data={"csrf_token": csrf, "flow_file": (io.BytesIO(ALIAS_BOMB), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "aliases" in response.text
    assert "lol" not in response.text and len(response.data) < 50_000
    assert rows(app, FlowSetting) == []


def test_a_refusal_never_repeats_a_long_value_whole(app, client, target):
    csrf = log_in(client, target.id)
    long_value = "9" * 100_000 + "x"
    bad = f"flows:\n  abandoned_checkout:\n    params: {{discount_percent: '{long_value}'}}\n".encode()

    response = client.post(
        "/admin/flows/import",
        data={"csrf_token": csrf, "flow_file": (io.BytesIO(bad), "flows.yaml")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "9" * 1000 not in response.text
