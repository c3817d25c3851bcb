"""Storefront identity (issue 14.2): events keep ids only; claimed logins are undone

``storefront_event`` loses ``title``, ``price``, ``currency`` and ``url``: anyone can post them, and
messages now show the catalogue's. Visitors linked by ``login`` before this revision were linked
by a ``customer_id`` the page merely named, so those links are undone, and so is the contact of
push subscriptions saved from such a browser (their browsers keep the subscription, anonymous,
until a proof links them again). Logins linked from here on are signed by the platform.

Revision ID: 0013_storefront_identity
Revises: 0012_tenant_binding
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013_storefront_identity'
down_revision = '0012_tenant_binding'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE push_subscription SET contact_id = NULL WHERE EXISTS ("
        " SELECT 1 FROM visitor WHERE visitor.shop_id = push_subscription.shop_id"
        " AND visitor.visitor_key = push_subscription.visitor_key AND visitor.linked_by = 'login')"
    )
    op.execute("UPDATE visitor SET contact_id = NULL, linked_by = NULL, linked_at = NULL WHERE linked_by = 'login'")
    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.drop_column('url')
        batch_op.drop_column('currency')
        batch_op.drop_column('price')
        batch_op.drop_column('title')


def downgrade():
    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('url', sa.Text(), nullable=True))
