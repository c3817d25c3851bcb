"""Signup forms (issue 17.3)

New tables: ``signup_form``, the popup, flyout and embedded forms a merchant designs (the design is
one JSON document, checked by ``app/forms/design.py``; ``views`` counts how often it was shown), and
``form_submission``, one row per accepted submission, for each form's submissions and subscribers.

Revision ID: 0014_signup_forms
Revises: 0013_storefront_identity
Create Date: 2026-12-04 01:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import app.db.models.types

# revision identifiers, used by Alembic.
revision = '0014_signup_forms'
down_revision = '0013_storefront_identity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signup_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('design', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_signup_form_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signup_form'))
    )
    with op.batch_alter_table('signup_form', schema=None) as batch_op:
        batch_op.create_index('ix_signup_form_shop_status', ['shop_id', 'status'], unique=False)

    op.create_table('form_submission',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('sms_opt_in', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', app.db.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_form_submission_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['form_id'], ['signup_form.id'], name=op.f('fk_form_submission_form_id_signup_form'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_form_submission_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission'))
    )
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.create_index('ix_form_submission_form', ['form_id', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_form_submission_form')
    op.drop_table('form_submission')
    with op.batch_alter_table('signup_form', schema=None) as batch_op:
        batch_op.drop_index('ix_signup_form_shop_status')
    op.drop_table('signup_form')
