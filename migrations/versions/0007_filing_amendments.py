"""filing amendments: a filing's version and the values each correction replaced

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    op.create_table('filing_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filing_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('old_generated_kg', sa.BigInteger(), nullable=False),
    sa.Column('old_stock_kg', sa.BigInteger(), nullable=True),
    sa.Column('old_note', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.CheckConstraint('version >= 2', name=op.f('ck_filing_amendments_version_after_first')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_filing_amendments_by_id_users')),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], name=op.f('fk_filing_amendments_filing_id_filings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_amendments')),
    sa.UniqueConstraint('filing_id', 'version', name='uq_filing_amendments_version')
    )
    with op.batch_alter_table('filing_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filing_amendments_filing_id'), ['filing_id'], unique=False)


def downgrade():
    with op.batch_alter_table('filing_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filing_amendments_filing_id'))

    op.drop_table('filing_amendments')
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_column('version')
