"""Storefront events, delivery feedback, click tracking and revenue attribution (issue #6)

New tables: ``visitor`` and ``storefront_event`` (what shoppers look at), ``message_event`` (what
providers and our own links report about a message), ``attribution`` (orders credited to a message).
``message`` gains ``links`` (the URLs its tracked links stand for) and ``variant`` (for A/B splits);
``shop`` gains ``storefront_key``, the public key its storefront snippet names it by. Existing rows
are backfilled: every shop gets a random key, every message an empty link list.

Revision ID: 0004_storefront_attribution
Revises: 0003_webhook_body_lz4
Create Date: 2026-11-28 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa

import app.db.models.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004_storefront_attribution'
down_revision = '0003_webhook_body_lz4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('storefront_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=True),
    sa.Column('variant_id', sa.String(length=64), nullable=True),
    sa.Column('collection_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('search_query', sa.String(length=255), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('checkout_token', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_storefront_event_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_event'))
    )
    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.create_index('ix_storefront_event_checkout', ['shop_id', 'checkout_token'], unique=False)
        batch_op.create_index('ix_storefront_event_visitor', ['shop_id', 'visitor_key', 'occurred_at'], unique=False)

    op.create_table('visitor',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('linked_by', sa.String(length=16), nullable=True),
    sa.Column('linked_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('first_seen_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_visitor_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_visitor_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor')),
    sa.UniqueConstraint('shop_id', 'visitor_key', name=op.f('uq_visitor_shop_id_visitor_key'))
    )
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.create_index('ix_visitor_contact', ['contact_id'], unique=False)

    op.create_table('attribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('variant', sa.String(length=32), nullable=True),
    sa.Column('touch', sa.String(length=8), nullable=False),
    sa.Column('touched_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('placed_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_attribution_message_id_message'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_attribution_order_id_shop_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_attribution_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attribution')),
    sa.UniqueConstraint('order_id', name=op.f('uq_attribution_order_id'))
    )
    with op.batch_alter_table('attribution', schema=None) as batch_op:
        batch_op.create_index('ix_attribution_shop_placed', ['shop_id', 'placed_at'], unique=False)

    op.create_table('message_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_event_id', sa.String(length=255), nullable=False),
    sa.Column('occurred_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('received_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_event_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_message_event_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_event')),
    sa.UniqueConstraint('provider', 'provider_event_id', name=op.f('uq_message_event_provider_provider_event_id'))
    )
    with op.batch_alter_table('message_event', schema=None) as batch_op:
        batch_op.create_index('ix_message_event_message_kind', ['message_id', 'kind'], unique=False)
        batch_op.create_index('ix_message_event_shop_occurred', ['shop_id', 'occurred_at'], unique=False)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('links', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.create_index('ix_message_shop_sent', ['shop_id', 'sent_at'], unique=False)
    op.execute("UPDATE message SET links = '[]'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('links', existing_type=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False)

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storefront_key', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    shop = sa.table('shop', sa.column('id', sa.Integer()), sa.column('storefront_key', sa.String()))
    for (shop_id,) in bind.execute(sa.select(shop.c.id)).all():
        bind.execute(shop.update().where(shop.c.id == shop_id).values(storefront_key=secrets.token_urlsafe(16)))
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.alter_column('storefront_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_shop_storefront_key'), ['storefront_key'])


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shop_storefront_key'), type_='unique')
        batch_op.drop_column('storefront_key')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_shop_sent')
        batch_op.drop_column('links')
        batch_op.drop_column('variant')

    with op.batch_alter_table('message_event', schema=None) as batch_op:
        batch_op.drop_index('ix_message_event_shop_occurred')
        batch_op.drop_index('ix_message_event_message_kind')

    op.drop_table('message_event')
    with op.batch_alter_table('attribution', schema=None) as batch_op:
        batch_op.drop_index('ix_attribution_shop_placed')

    op.drop_table('attribution')
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.drop_index('ix_visitor_contact')

    op.drop_table('visitor')
    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.drop_index('ix_storefront_event_visitor')
        batch_op.drop_index('ix_storefront_event_checkout')

    op.drop_table('storefront_event')
