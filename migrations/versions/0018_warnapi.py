"""credit settings: deductions for the warnings an enterprise had in the grading window

Revision ID: 0018_warnapi
Revises: 0017_hall_indexes
Create Date: 2026-11-29 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_warnapi'
down_revision = '0017_hall_indexes'
branch_labels = None
depends_on = None

COLUMNS = (
    ('warning_low_tenths', '5'),
    ('warning_medium_tenths', '10'),
    ('warning_high_tenths', '20'),
    ('warning_overdue_tenths', '10'),
)


def upgrade():
    with op.batch_alter_table('park_credit_settings', schema=None) as batch_op:
        for name, default in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default)
            )
        batch_op.create_check_constraint(
            op.f('ck_park_credit_settings_warning_deductions_non_negative'),
            'warning_low_tenths >= 0 AND warning_medium_tenths >= 0'
            ' AND warning_high_tenths >= 0 AND warning_overdue_tenths >= 0',
        )


def downgrade():
    with op.batch_alter_table('park_credit_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_park_credit_settings_warning_deductions_non_negative'), type_='check')
        for name, _default in reversed(COLUMNS):
            batch_op.drop_column(name)
