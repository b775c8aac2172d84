"""manifest services: the recycler's consent to exceed a deal, the chain head per manifest

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 13:40:00

`deals.extra_allowed_kg` is how much more than the deal quantity the recycler has
agreed its manifests may declare (and who agreed); `manifests.head_hash` is the hash
of the newest event of the manifest's chain, so rows cut from its end are caught;
`manifest_events.event` widens to 24 characters ("explain_discrepancy" has 19).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('extra_allowed_kg', sa.BigInteger(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('extra_allowed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_deals_extra_allowed_by_id_users'), 'users', ['extra_allowed_by_id'], ['id']
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_deals_extra_allowed_non_negative'), 'extra_allowed_kg >= 0'
        )
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('manifest_events', schema=None) as batch_op:
        batch_op.alter_column(
            'event', existing_type=sa.String(length=16), type_=sa.String(length=24),
            existing_nullable=False,
        )


def downgrade():
    with op.batch_alter_table('manifest_events', schema=None) as batch_op:
        batch_op.alter_column(
            'event', existing_type=sa.String(length=24), type_=sa.String(length=16),
            existing_nullable=False,
        )
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_column('head_hash')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_deals_extra_allowed_non_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_deals_extra_allowed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('extra_allowed_by_id')
        batch_op.drop_column('extra_allowed_kg')
