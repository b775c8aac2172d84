"""the trading hall at a million listings: an index of the open listings alone, newest
first, carrying what the hall's count and distance read (enterprise, availability,
position), for lots and for demands

Revision ID: 0017_hall_indexes
Revises: 0016
Create Date: 2026-11-29 23:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_hall_indexes'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ('supply_listings', 'demand_listings')


def upgrade():
    for table in TABLES:
        op.create_index(
            f'ix_{table}_open_newest',
            table,
            ['created_at', 'id'],
            unique=False,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
            postgresql_include=['enterprise_id', 'available_until', 'lat', 'lon'],
        )


def downgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_open_newest', table_name=table)
