"""a reopened lot can be dealt again: at most one deal per lot that is not cancelled
(a partial unique index) instead of one deal per lot ever

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LIVE = sa.text("status != 'cancelled'")


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_deals_supply_listing_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_deals_supply_listing_id'), ['supply_listing_id'], unique=False)
        batch_op.create_index('uq_deals_live_lot', ['supply_listing_id'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    # Fails, as it should, where a lot was dealt again after a cancellation.
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('uq_deals_live_lot')
        batch_op.drop_index(batch_op.f('ix_deals_supply_listing_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_deals_supply_listing_id'), ['supply_listing_id'])
