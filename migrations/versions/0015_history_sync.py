"""History sync (issue 17.1): each shop's progress reading its platform's past, per resource

Revision ID: 0015_history_sync
Revises: 0014_signup_forms
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.db.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0015_history_sync'
down_revision = '0014_signup_forms'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'history_sync',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('resource', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=True),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('notice', sa.Text(), nullable=True),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('retry_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('shop_id', 'resource'),
    )
    op.create_index(op.f('ix_history_sync_retry_at'), 'history_sync', ['retry_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_history_sync_retry_at'), table_name='history_sync')
    op.drop_table('history_sync')
