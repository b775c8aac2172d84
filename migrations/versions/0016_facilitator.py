"""facilitator suggestions (one per lot × demand pair), and the indexes the park
dashboard reads by: manifests by park and time, deals by generator and time

Revision ID: 0016
Revises: 0010
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'facilitator_suggestions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('supply_listing_id', sa.Integer(), nullable=False),
        sa.Column('demand_listing_id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['admin_id'], ['users.id'], name=op.f('fk_facilitator_suggestions_admin_id_users')),
        sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_facilitator_suggestions_demand_listing_id_demand_listings')),
        sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_facilitator_suggestions_park_id_parks')),
        sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_facilitator_suggestions_supply_listing_id_supply_listings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_facilitator_suggestions')),
        sa.UniqueConstraint('supply_listing_id', 'demand_listing_id', name='uq_suggestions_pair'),
    )
    with op.batch_alter_table('facilitator_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_facilitator_suggestions_admin_at', ['admin_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilitator_suggestions_demand_listing_id'), ['demand_listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilitator_suggestions_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilitator_suggestions_supply_listing_id'), ['supply_listing_id'], unique=False)
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.create_index('ix_manifests_park_submitted', ['park_id', 'submitted_at'], unique=False)
        batch_op.create_index('ix_manifests_park_received', ['park_id', 'received_at'], unique=False)
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_generator_created', ['generator_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_generator_created')
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_index('ix_manifests_park_received')
        batch_op.drop_index('ix_manifests_park_submitted')
    with op.batch_alter_table('facilitator_suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilitator_suggestions_supply_listing_id'))
        batch_op.drop_index(batch_op.f('ix_facilitator_suggestions_park_id'))
        batch_op.drop_index(batch_op.f('ix_facilitator_suggestions_demand_listing_id'))
        batch_op.drop_index('ix_facilitator_suggestions_admin_at')
    op.drop_table('facilitator_suggestions')
