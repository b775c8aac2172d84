"""matching: published credit grade on enterprises, park match settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 07:20:44.456315

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('park_match_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.Column('w_code', sa.Float(), nullable=False),
    sa.Column('w_distance', sa.Float(), nullable=False),
    sa.Column('w_capacity', sa.Float(), nullable=False),
    sa.Column('w_credit', sa.Float(), nullable=False),
    sa.Column('grade_a', sa.Float(), nullable=False),
    sa.Column('grade_b', sa.Float(), nullable=False),
    sa.Column('grade_c', sa.Float(), nullable=False),
    sa.Column('grade_none', sa.Float(), nullable=False),
    sa.Column('default_radius_km', sa.Integer(), nullable=False),
    sa.Column('road_factor', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('default_radius_km BETWEEN 1 AND 3000', name=op.f('ck_park_match_settings_radius_range')),
    sa.CheckConstraint('grade_a BETWEEN 0 AND 1 AND grade_b BETWEEN 0 AND 1 AND grade_c BETWEEN 0 AND 1 AND grade_none BETWEEN 0 AND 1', name=op.f('ck_park_match_settings_grades_unit')),
    sa.CheckConstraint('road_factor BETWEEN 1 AND 3', name=op.f('ck_park_match_settings_road_factor_range')),
    sa.CheckConstraint('w_code + w_distance + w_capacity + w_credit > 0', name=op.f('ck_park_match_settings_weights_some')),
    sa.CheckConstraint('w_code >= 0 AND w_distance >= 0 AND w_capacity >= 0 AND w_credit >= 0', name=op.f('ck_park_match_settings_weights_non_negative')),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_park_match_settings_park_id_parks')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_park_match_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_park_match_settings')),
    sa.UniqueConstraint('park_id', name=op.f('uq_park_match_settings_park_id'))
    )
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_grade', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('credit_grade_until', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_enterprises_grade_known'), "credit_grade IN ('A', 'B', 'C', 'D')")
    # The matcher's refresh reads listings changed since its last look.
    for table in ('supply_listings', 'demand_listings'):
        op.create_index(op.f(f'ix_{table}_updated_at'), table, ['updated_at'])



def downgrade():
    for table in ('supply_listings', 'demand_listings'):
        op.drop_index(op.f(f'ix_{table}_updated_at'), table_name=table)
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enterprises_grade_known'), type_='check')
        batch_op.drop_column('credit_grade_until')
        batch_op.drop_column('credit_grade')

    op.drop_table('park_match_settings')
