"""listing evidence and park sites: attachments (photo, lab report, MSDS) behind a
listing, a lot's physical form and main components, and each park's list of named sites
with coordinates

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-29 19:23:37

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('park_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('lat BETWEEN 3 AND 54 AND lon BETWEEN 73 AND 136', name=op.f('ck_park_sites_in_china')),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_park_sites_park_id_parks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_park_sites')),
    sa.UniqueConstraint('park_id', 'name', name='uq_park_sites_park_name')
    )
    with op.batch_alter_table('park_sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_park_sites_park_id'), ['park_id'], unique=False)

    op.create_table('listing_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supply_listing_id', sa.Integer(), nullable=True),
    sa.Column('demand_listing_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('stored_path', sa.String(length=120), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('mime', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('photo', 'lab_report', 'msds', 'other')", name=op.f('ck_listing_attachments_kind_known')),
    sa.CheckConstraint("mime IN ('image/png', 'image/jpeg', 'application/pdf')", name=op.f('ck_listing_attachments_mime_known')),
    sa.CheckConstraint('(supply_listing_id IS NULL) <> (demand_listing_id IS NULL)', name=op.f('ck_listing_attachments_one_listing')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_listing_attachments_size_positive')),
    sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_listing_attachments_demand_listing_id_demand_listings')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_listing_attachments_supply_listing_id_supply_listings')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_listing_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_attachments'))
    )
    with op.batch_alter_table('listing_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_attachments_demand_listing_id'), ['demand_listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_attachments_supply_listing_id'), ['supply_listing_id'], unique=False)

    with op.batch_alter_table('supply_listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('physical_form', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('main_components', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_supply_listings_physical_form_known'),
            "physical_form IN ('', 'solid', 'sludge', 'liquid', 'powder', 'gas_container', 'mixed')")



def downgrade():
    with op.batch_alter_table('supply_listings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_supply_listings_physical_form_known'), type_='check')
        batch_op.drop_column('main_components')
        batch_op.drop_column('physical_form')

    with op.batch_alter_table('listing_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_attachments_supply_listing_id'))
        batch_op.drop_index(batch_op.f('ix_listing_attachments_demand_listing_id'))

    op.drop_table('listing_attachments')
    with op.batch_alter_table('park_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_park_sites_park_id'))

    op.drop_table('park_sites')
