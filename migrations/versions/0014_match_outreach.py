"""match outreach: notices of good matches (once per lot × demand listing), invitations
to bid (once per lot × recycler), daily digests (once per user × business day), the
park's notice threshold and top-N, the user's digest preference, messages to one member

Revision ID: 0014
Revises: 0010
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supply_listing_id', sa.Integer(), nullable=False),
    sa.Column('demand_listing_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_match_notices_score_unit')),
    sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_match_notices_demand_listing_id_demand_listings')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_match_notices_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_match_notices_supply_listing_id_supply_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_notices')),
    sa.UniqueConstraint('supply_listing_id', 'demand_listing_id', name='uq_match_notice_pair')
    )
    with op.batch_alter_table('match_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_notices_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_notices_demand_listing_id'), ['demand_listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_notices_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_notices_supply_listing_id'), ['supply_listing_id'], unique=False)

    op.create_table('bid_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supply_listing_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_bid_invitations_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_bid_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_bid_invitations_supply_listing_id_supply_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_invitations')),
    sa.UniqueConstraint('supply_listing_id', 'enterprise_id', name='uq_bid_invitation_pair')
    )
    with op.batch_alter_table('bid_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_invitations_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_invitations_supply_listing_id'), ['supply_listing_id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_messages_user_id_users'), 'users', ['user_id'], ['id'])

    op.create_table('match_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('notices', sa.Integer(), nullable=False),
    sa.Column('last_notice_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('notices > 0', name=op.f('ck_match_digests_notices_positive')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_match_digests_message_id_messages')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_match_digests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_digests')),
    sa.UniqueConstraint('user_id', 'day', name='uq_match_digest_day')
    )
    with op.batch_alter_table('match_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_digests_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_digest', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('park_match_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_min_score', sa.Float(), server_default='0.8', nullable=False))
        batch_op.add_column(sa.Column('notify_top_n', sa.Integer(), server_default='5', nullable=False))
        batch_op.create_check_constraint(op.f('ck_park_match_settings_notify_score_unit'), 'notify_min_score BETWEEN 0 AND 1')
        batch_op.create_check_constraint(op.f('ck_park_match_settings_notify_top_n_range'), 'notify_top_n BETWEEN 1 AND 50')


def downgrade():
    with op.batch_alter_table('park_match_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_park_match_settings_notify_top_n_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_park_match_settings_notify_score_unit'), type_='check')
        batch_op.drop_column('notify_top_n')
        batch_op.drop_column('notify_min_score')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('match_digest')
    with op.batch_alter_table('match_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_digests_user_id'))
    op.drop_table('match_digests')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_user_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_messages_user_id'))
        batch_op.drop_column('user_id')
    with op.batch_alter_table('bid_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_invitations_supply_listing_id'))
        batch_op.drop_index(batch_op.f('ix_bid_invitations_enterprise_id'))
    op.drop_table('bid_invitations')
    with op.batch_alter_table('match_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_notices_supply_listing_id'))
        batch_op.drop_index(batch_op.f('ix_match_notices_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_match_notices_demand_listing_id'))
        batch_op.drop_index(batch_op.f('ix_match_notices_day'))
    op.drop_table('match_notices')
