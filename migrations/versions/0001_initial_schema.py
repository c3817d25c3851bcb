"""initial schema

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-26 07:37:44.109303

"""
from alembic import op
import sqlalchemy as sa

import app.db.models.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('storefront_url', sa.String(length=512), nullable=True),
    sa.Column('access_token_enc', sa.Text(), nullable=True),
    sa.Column('access_token_expires_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('refresh_token_enc', sa.Text(), nullable=True),
    sa.Column('refresh_token_expires_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('scopes', sa.Text(), nullable=True),
    sa.Column('installed_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('uninstalled_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop')),
    sa.UniqueConstraint('platform', 'domain', name=op.f('uq_shop_platform_domain'))
    )
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('platform_customer_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('locale', sa.String(length=35), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('email_consent', sa.String(length=20), nullable=True),
    sa.Column('email_consent_source', sa.String(length=64), nullable=True),
    sa.Column('email_consent_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('sms_consent', sa.String(length=20), nullable=True),
    sa.Column('sms_consent_source', sa.String(length=64), nullable=True),
    sa.Column('sms_consent_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_contact_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('shop_id', 'email', name=op.f('uq_contact_shop_id_email')),
    sa.UniqueConstraint('shop_id', 'platform_customer_id', name=op.f('uq_contact_shop_id_platform_customer_id'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index('ix_contact_shop_phone', ['shop_id', 'phone'], unique=False)

    op.create_table('data_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('customer_email', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_data_export_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export'))
    )
    op.create_table('flow_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_flow_setting_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_setting')),
    sa.UniqueConstraint('shop_id', 'flow_key', name=op.f('uq_flow_setting_shop_id_flow_key'))
    )
    op.create_table('suppression',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_suppression_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppression')),
    sa.UniqueConstraint('shop_id', 'channel', 'address', name=op.f('uq_suppression_shop_id_channel_address'))
    )
    op.create_table('cart',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=255), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('line_items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_updated_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_cart_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_cart_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart')),
    sa.UniqueConstraint('shop_id', 'token', name=op.f('uq_cart_shop_id_token'))
    )
    op.create_table('checkout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.String(length=255), nullable=True),
    sa.Column('cart_token', sa.String(length=255), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('recovery_url', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('line_items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_created_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('source_updated_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('completed_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('order_platform_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_checkout_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_checkout_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout')),
    sa.UniqueConstraint('shop_id', 'token', name=op.f('uq_checkout_shop_id_token'))
    )
    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.create_index('ix_checkout_shop_cart_token', ['shop_id', 'cart_token'], unique=False)

    op.create_table('enrollment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('subject_key', sa.String(length=255), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('anchor_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('next_run_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('run_token', sa.Integer(), nullable=False),
    sa.Column('last_activity_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('exit_reason', sa.Text(), nullable=True),
    sa.Column('started_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_enrollment_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_enrollment_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment')),
    sa.UniqueConstraint('shop_id', 'flow_key', 'subject_key', name=op.f('uq_enrollment_shop_id_flow_key_subject_key'))
    )
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.create_index('ix_enrollment_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_enrollment_due', ['state', 'next_run_at'], unique=False)

    op.create_table('shop_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('checkout_token', sa.String(length=255), nullable=True),
    sa.Column('cart_token', sa.String(length=255), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('line_items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('financial_status', sa.String(length=32), nullable=True),
    sa.Column('fulfillment_status', sa.String(length=32), nullable=True),
    sa.Column('status_url', sa.Text(), nullable=True),
    sa.Column('placed_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('paid_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('fulfilled_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('source_updated_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_shop_order_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_shop_order_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_order')),
    sa.UniqueConstraint('shop_id', 'platform_id', name=op.f('uq_shop_order_shop_id_platform_id'))
    )
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.create_index('ix_shop_order_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_shop_order_shop_checkout_token', ['shop_id', 'checkout_token'], unique=False)

    op.create_table('webhook_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=128), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('webhook_id', sa.String(length=255), nullable=True),
    sa.Column('api_version', sa.String(length=32), nullable=True),
    sa.Column('triggered_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('received_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dispatched_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('processed_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('subject_key', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_webhook_event_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_webhook_event_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event')),
    sa.UniqueConstraint('platform', 'shop_id', 'event_id', name=op.f('uq_webhook_event_platform_shop_id_event_id'))
    )
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_event_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_webhook_event_unprocessed', ['id'], unique=False, postgresql_where=sa.text('processed_at IS NULL'), sqlite_where=sa.text('processed_at IS NULL'))

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('flow_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('template', sa.String(length=128), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('provider_message_id', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db.models.types.UTCDateTime(), nullable=True),
    sa.Column('timeline', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_message_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_message_enrollment_id_enrollment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_message_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('enrollment_id', 'step_index', name=op.f('uq_message_enrollment_id_step_index'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_message_shop_created', ['shop_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_shop_created')
        batch_op.drop_index('ix_message_contact')

    op.drop_table('message')
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_unprocessed', postgresql_where=sa.text('processed_at IS NULL'), sqlite_where=sa.text('processed_at IS NULL'))
        batch_op.drop_index('ix_webhook_event_contact')

    op.drop_table('webhook_event')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_index('ix_shop_order_shop_checkout_token')
        batch_op.drop_index('ix_shop_order_contact')

    op.drop_table('shop_order')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollment_due')
        batch_op.drop_index('ix_enrollment_contact')

    op.drop_table('enrollment')
    with op.batch_alter_table('checkout', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_shop_cart_token')

    op.drop_table('checkout')
    op.drop_table('cart')
    op.drop_table('suppression')
    op.drop_table('flow_setting')
    op.drop_table('data_export')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_shop_phone')

    op.drop_table('contact')
    op.drop_table('shop')
