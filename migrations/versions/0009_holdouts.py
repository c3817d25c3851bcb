"""Holdout groups (issue #9): ``enrollment`` gains ``holdout``

A held-out enrollment runs through its flow but is sent nothing, so the orders of held-out shoppers
measure what the flow adds. Existing enrollments were all treated: they default to false.

Revision ID: 0009_holdouts
Revises: 0007_decisions_consent
Create Date: 2026-11-26 10:50:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009_holdouts'
down_revision = '0007_decisions_consent'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holdout', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('holdout')
