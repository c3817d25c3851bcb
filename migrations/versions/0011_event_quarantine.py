"""Failed webhooks are retried with backoff, then set aside for the operator (issue 13, item 10)

``webhook_event`` gains ``retry_at`` (a failed event is not handed out again before it) and a
partial index over the events set aside, which the CLI and the admin list. The old ``failed``
status splits in two: a payload the normalizer refused is ``rejected``; an event that raised on
every attempt is ``quarantined``. Both keep their reason in ``error`` and can be replayed.

Revision ID: 0011_event_quarantine
Revises: 0010_saleor_real_store
Create Date: 2026-12-02 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db.models.types

# revision identifiers, used by Alembic.
revision = '0011_event_quarantine'
down_revision = '0010_saleor_real_store'
branch_labels = None
depends_on = None

SET_ASIDE = sa.text("status IN ('rejected', 'quarantined')")


def upgrade():
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retry_at', app.db.models.types.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE webhook_event SET status = CASE WHEN error LIKE 'payload rejected:%' "
        "THEN 'rejected' ELSE 'quarantined' END WHERE status = 'failed'"
    )
    op.create_index(
        'ix_webhook_event_set_aside',
        'webhook_event',
        ['shop_id'],
        unique=False,
        postgresql_where=SET_ASIDE,
        sqlite_where=SET_ASIDE,
    )


def downgrade():
    op.drop_index('ix_webhook_event_set_aside', table_name='webhook_event')
    op.execute("UPDATE webhook_event SET status = 'failed' WHERE status IN ('rejected', 'quarantined')")
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
