"""checkout.expires_at: when the platform deletes a stale checkout

Revision ID: 0002_checkout_expires_at
Revises: 0001_initial
Create Date: 2026-11-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db.models.types


# revision identifiers, used by Alembic.
revision = '0002_checkout_expires_at'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', app.db.models.types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
