"""merge the two heads: manifest services (0006) and filing amendments (0007)

Both branches of issue 8 chained their revision from 0005; this revision joins them so
`flask db upgrade` has one head. It changes no table.

Revision ID: 0008
Revises: 0006, 0007
Create Date: 2026-11-29 14:15:00

"""

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = ('0006', '0007')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
