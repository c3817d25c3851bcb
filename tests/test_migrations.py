"""Alembic migrations build exactly the schema the models describe, on PostgreSQL and on SQLite."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.db import Base, db
from app.web.factory import create_app
from tests.conftest import test_config


def _differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrated_postgresql_matches_the_models(app):
    # the session database was built by `flask db upgrade` from empty
    assert _differences(app) == []


def test_migrations_run_from_empty_on_sqlite_and_match_the_models(tmp_path, clock):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'storeflow.db'}"), clock=clock)
    with app.app_context():
        upgrade()

    assert _differences(app) == []


def test_migrations_downgrade_to_empty_and_back_on_sqlite(tmp_path, clock):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'storeflow.db'}"), clock=clock)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()

    assert _differences(app) == []


def test_failed_webhooks_become_rejected_or_quarantined_by_their_reason(tmp_path, clock):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'storeflow.db'}"), clock=clock)
    with app.app_context():
        upgrade(revision="0009_holdouts")
        db.session.execute(
            text(
                "INSERT INTO shop (id, platform, domain, name, timezone, settings, storefront_key,"
                " created_at, updated_at) VALUES (1, 'shopify', 'a.myshopify.com', 'A', 'UTC', '{}', 'k',"
                " '2026-11-26', '2026-11-26')"
            )
        )
        for event_id, error in (("a", "payload rejected: token is required"), ("b", "KeyError: 'bogus'")):
            db.session.execute(
                text(
                    "INSERT INTO webhook_event (shop_id, platform, topic, event_id, body, status, attempts,"
                    " error, received_at) VALUES (1, 'shopify', 't', :event_id, '{}', 'failed', 1, :error,"
                    " '2026-11-26 12:00:00')"
                ),
                {"event_id": event_id, "error": error},
            )
        db.session.commit()
        upgrade()

        statuses = db.session.execute(
            text("SELECT event_id, status FROM webhook_event ORDER BY event_id")
        ).all()

    assert [tuple(row) for row in statuses] == [("a", "rejected"), ("b", "quarantined")]
