"""message threads: one conversation per deal (its two parties) and one per (listing,
asking enterprise), their messages and each user's read position

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('supply_listing_id', sa.Integer(), nullable=True),
    sa.Column('demand_listing_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(CASE WHEN deal_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN supply_listing_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN demand_listing_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_threads_one_subject')),
    sa.CheckConstraint('owner_id <> other_id', name=op.f('ck_threads_two_parties')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_threads_deal_id_deals')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_threads_supply_listing_id_supply_listings')),
    sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_threads_demand_listing_id_demand_listings')),
    sa.ForeignKeyConstraint(['owner_id'], ['enterprises.id'], name=op.f('fk_threads_owner_id_enterprises')),
    sa.ForeignKeyConstraint(['other_id'], ['enterprises.id'], name=op.f('fk_threads_other_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_threads')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_threads_deal_id')),
    sa.UniqueConstraint('supply_listing_id', 'other_id', name='uq_threads_supply_asker'),
    sa.UniqueConstraint('demand_listing_id', 'other_id', name='uq_threads_demand_asker')
    )
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_threads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_threads_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_threads_last_message_at'), ['last_message_at'], unique=False)

    op.create_table('thread_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(body) BETWEEN 1 AND 2000', name=op.f('ck_thread_messages_body_length')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_messages_thread_id_threads')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_thread_messages_author_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_thread_messages_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_messages'))
    )
    with op.batch_alter_table('thread_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_messages_thread_id'), ['thread_id'], unique=False)

    op.create_table('thread_reads',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_reads_thread_id_threads')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_thread_reads_user_id_users')),
    sa.PrimaryKeyConstraint('thread_id', 'user_id', name=op.f('pk_thread_reads'))
    )
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_reads_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_reads_user_id'))
    op.drop_table('thread_reads')
    with op.batch_alter_table('thread_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_messages_thread_id'))
    op.drop_table('thread_messages')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threads_last_message_at'))
        batch_op.drop_index(batch_op.f('ix_threads_other_id'))
        batch_op.drop_index(batch_op.f('ix_threads_owner_id'))
    op.drop_table('threads')
