"""manifests: the start's idempotency key (a retried start finds the manifest it made)

Revision ID: 0020_start_key
Revises: 0019_park_flow_summary
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_start_key'
down_revision = '0019_park_flow_summary'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_manifests_deal_start_key', ['deal_id', 'start_key']
        )


def downgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_constraint('uq_manifests_deal_start_key', type_='unique')
        batch_op.drop_column('start_key')
