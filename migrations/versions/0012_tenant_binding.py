"""Tenant binding (issue #14): ``shop`` gains ``platform_shop_id``

Shopify signs a webhook's body, not its headers; the compliance and uninstall bodies name their shop
by its numeric id, so each installation remembers that id to bind them to it. Existing rows start
empty and are filled by the next shop query (install, or the reconciliation every 15 minutes).

Revision ID: 0012_tenant_binding
Revises: 0011_event_quarantine
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_tenant_binding'
down_revision = '0011_event_quarantine'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_shop_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('platform_shop_id')
