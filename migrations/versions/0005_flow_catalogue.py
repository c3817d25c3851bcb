"""The full flow catalogue (issue #5)

New tables: ``product`` and ``product_variant`` (titles, links, prices and stock for product blocks
and catalogue alerts), ``stock_alert`` ("notify me when available" signups), ``alert_wave``
(catalogue news told in batches), ``discount_code`` (one unique code per enrollment, stored before
the platform is asked), ``calendar_run`` (what the daily calendar already did). ``enrollment`` gains
``context``, ``contact`` gains ``birthday`` and ``tags``, ``storefront_event`` gains ``cart_token``.
Existing rows are backfilled with empty JSON documents.

Revision ID: 0005_flow_catalogue
Revises: 0004_storefront_attribution
Create Date: 2026-11-26 09:57:46.280820

"""
from alembic import op
import sqlalchemy as sa

import app.db.models.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005_flow_catalogue'
down_revision = '0004_storefront_attribution'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('alert_key', sa.String(length=255), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('variant_id', sa.String(length=255), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('batches_sent', sa.Integer(), nullable=False),
    sa.Column('next_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_alert_wave_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_wave')),
    sa.UniqueConstraint('shop_id', 'flow_key', 'alert_key', name=op.f('uq_alert_wave_shop_id_flow_key_alert_key'))
    )
    with op.batch_alter_table('alert_wave', schema=None) as batch_op:
        batch_op.create_index('ix_alert_wave_due', ['finished_at', 'next_at'], unique=False)

    op.create_table('calendar_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_calendar_run_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_run')),
    sa.UniqueConstraint('shop_id', 'run_key', name=op.f('uq_calendar_run_shop_id_run_key'))
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('image_url', sa.Text(), nullable=True),
    sa.Column('collections', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_updated_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_product_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('shop_id', 'platform_id', name=op.f('uq_product_shop_id_platform_id'))
    )
    op.create_table('product_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('available', sa.Integer(), nullable=True),
    sa.Column('levels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('inventory_item_id', sa.String(length=255), nullable=True),
    sa.Column('source_updated_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_variant_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_product_variant_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_variant')),
    sa.UniqueConstraint('shop_id', 'platform_id', name=op.f('uq_product_variant_shop_id_platform_id'))
    )
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.create_index('ix_product_variant_inventory_item', ['shop_id', 'inventory_item_id'], unique=False)
        batch_op.create_index('ix_product_variant_product', ['product_id'], unique=False)

    op.create_table('stock_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('variant_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('notified_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_stock_alert_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_stock_alert_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_alert')),
    sa.UniqueConstraint('shop_id', 'contact_id', 'product_id', 'variant_id', name=op.f('uq_stock_alert_shop_id_contact_id_product_id_variant_id'))
    )
    with op.batch_alter_table('stock_alert', schema=None) as batch_op:
        batch_op.create_index('ix_stock_alert_product', ['shop_id', 'product_id'], unique=False)

    op.create_table('discount_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('expires_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('platform_id', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_discount_code_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_discount_code_enrollment_id_enrollment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_discount_code_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_code')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_discount_code_enrollment_id')),
    sa.UniqueConstraint('shop_id', 'code', name=op.f('uq_discount_code_shop_id_code'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.create_index('ix_contact_shop_birthday', ['shop_id', 'birthday'], unique=False)

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cart_token', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_storefront_event_product', ['shop_id', 'product_id', 'occurred_at'], unique=False)

    op.execute("UPDATE contact SET tags = '[]'")
    op.execute("UPDATE enrollment SET context = '{}'")
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.alter_column('tags', existing_type=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False)
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.alter_column('context', existing_type=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False)

def downgrade():
    with op.batch_alter_table('storefront_event', schema=None) as batch_op:
        batch_op.drop_index('ix_storefront_event_product')
        batch_op.drop_column('cart_token')

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('context')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_shop_birthday')
        batch_op.drop_column('tags')
        batch_op.drop_column('birthday')

    op.drop_table('discount_code')
    with op.batch_alter_table('stock_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_alert_product')

    op.drop_table('stock_alert')
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.drop_index('ix_product_variant_product')
        batch_op.drop_index('ix_product_variant_inventory_item')

    op.drop_table('product_variant')
    op.drop_table('product')
    op.drop_table('calendar_run')
    with op.batch_alter_table('alert_wave', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_wave_due')

    op.drop_table('alert_wave')
