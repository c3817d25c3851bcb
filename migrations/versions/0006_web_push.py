"""Web push and local send times (issue #9)

New table ``push_subscription``: a browser's push endpoint and keys, linked to the visitor it came
from and, when known, the contact. ``visitor`` gains ``timezone``: the zone the storefront snippet
reports, used to send in the shopper's own hours when the store never told us theirs.

Revision ID: 0006_web_push
Revises: 0005_flow_catalogue
Create Date: 2026-11-26 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db.models.types

# revision identifiers, used by Alembic.
revision = '0006_web_push'
down_revision = '0005_flow_catalogue'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('p256dh', sa.String(length=128), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_push_subscription_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_push_subscription_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
    sa.UniqueConstraint('shop_id', 'endpoint', name=op.f('uq_push_subscription_shop_id_endpoint'))
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_push_subscription_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_push_subscription_visitor', ['shop_id', 'visitor_key'], unique=False)

    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.drop_column('timezone')

    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_push_subscription_visitor')
        batch_op.drop_index('ix_push_subscription_contact')

    op.drop_table('push_subscription')
