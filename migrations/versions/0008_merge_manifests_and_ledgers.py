"""Merge the manifest services (0006) and filing amendments (0007) heads

Both branched from 0005 on parallel branches; this revision joins them and changes nothing.

Revision ID: 0008
Revises: 0006, 0007
"""

revision = "0008"
down_revision = ("0006", "0007")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
