"""the park dashboard's monthly flow summary (park, Beijing month, generator's industry,
waste code, receiver, treatment -> manifests started, closed, received and tonnes
received), filled here from the existing manifests; the services keep it current

Revision ID: 0019_park_flow_summary
Revises: 0018_warnapi
Create Date: 2026-11-29 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_park_flow_summary'
down_revision = '0018_warnapi'
branch_labels = None
depends_on = None

STARTED = "('submitted', 'in_transit', 'received', 'rejected', 'closed')"


def _month(column, dialect):
    if dialect == 'postgresql':
        return f"to_char(timezone('Asia/Shanghai', timezone('UTC', {column})), 'YYYY-MM')"
    return f"strftime('%Y-%m', {column}, '+8 hours')"


def upgrade():
    op.create_table(
        'park_flow_summary',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('industry', sa.String(length=80), nullable=False),
        sa.Column('waste_code_id', sa.Integer(), nullable=False),
        sa.Column('receiver_id', sa.Integer(), nullable=False),
        sa.Column('treatment', sa.String(length=8), nullable=False),
        sa.Column('started', sa.Integer(), nullable=False),
        sa.Column('closed', sa.Integer(), nullable=False),
        sa.Column('received', sa.Integer(), nullable=False),
        sa.Column('received_kg', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_park_flow_summary_park_id_parks')),
        sa.ForeignKeyConstraint(['receiver_id'], ['enterprises.id'], name=op.f('fk_park_flow_summary_receiver_id_enterprises')),
        sa.ForeignKeyConstraint(['waste_code_id'], ['waste_codes.id'], name=op.f('fk_park_flow_summary_waste_code_id_waste_codes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_park_flow_summary')),
        sa.UniqueConstraint('park_id', 'month', 'industry', 'waste_code_id', 'receiver_id', 'treatment', name='uq_park_flow_summary_key'),
    )
    op.execute(backfill(op.get_bind().dialect.name))


def backfill(dialect: str) -> str:
    """The same sums as market.manifests.flows.rebuild, written out so that this migration
    does not change when the application does (tests/integration/test_flow_summary.py
    checks the two agree)."""
    return f"""
        INSERT INTO park_flow_summary (park_id, month, industry, waste_code_id, receiver_id,
                                       treatment, started, closed, received, received_kg)
        SELECT park_id, month, industry, waste_code_id, receiver_id, treatment,
               SUM(started), SUM(closed), SUM(received), SUM(received_kg)
        FROM (
            SELECT m.park_id, {_month('m.submitted_at', dialect)} AS month, e.industry,
                   m.waste_code_id, m.receiver_id, '' AS treatment, 1 AS started,
                   CASE WHEN m.status = 'closed' THEN 1 ELSE 0 END AS closed,
                   0 AS received, 0 AS received_kg
            FROM manifests m JOIN enterprises e ON e.id = m.generator_id
            WHERE m.status IN {STARTED} AND m.submitted_at IS NOT NULL
            UNION ALL
            SELECT m.park_id, {_month('m.received_at', dialect)}, e.industry,
                   m.waste_code_id, m.receiver_id, COALESCE(m.treatment, ''), 0, 0, 1,
                   m.received_kg
            FROM manifests m JOIN enterprises e ON e.id = m.generator_id
            WHERE m.received_kg IS NOT NULL AND m.received_at IS NOT NULL
        ) AS counted
        GROUP BY park_id, month, industry, waste_code_id, receiver_id, treatment
    """


def downgrade():
    op.drop_table('park_flow_summary')
