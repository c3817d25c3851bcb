"""What a real Saleor 3.23 taught (issue #13): ``shop`` gains ``api_version``

Saleor sends ``Saleor-Schema-Version`` only on the register POST; the installation keeps it so
every stored delivery carries it. Existing installations learn it when they next register.

Revision ID: 0010_saleor_real_store
Revises: 0009_holdouts
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_saleor_real_store'
down_revision = '0009_holdouts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_version', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('api_version')
