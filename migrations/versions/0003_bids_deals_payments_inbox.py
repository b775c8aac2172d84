"""bids, deals, payments, inbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 07:36:06.354722

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_messages_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supply_listing_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('demand_listing_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('quantity_kg', sa.BigInteger(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('match_score', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('price_fen BETWEEN -1000000000 AND 1000000000', name=op.f('ck_bids_price_range')),
    sa.CheckConstraint('quantity_kg > 0 AND quantity_kg <= 10000000000', name=op.f('ck_bids_quantity_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bids_created_by_id_users')),
    sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_bids_demand_listing_id_demand_listings')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_bids_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_bids_supply_listing_id_supply_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids'))
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bids_demand_listing_id'), ['demand_listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_supply_listing_id'), ['supply_listing_id'], unique=False)

    op.create_table('bid_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=12), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_bid_events_actor_id_users')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_events_bid_id_bids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_events'))
    )
    with op.batch_alter_table('bid_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_events_bid_id'), ['bid_id'], unique=False)

    op.create_table('deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supply_listing_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('demand_listing_id', sa.Integer(), nullable=False),
    sa.Column('generator_id', sa.Integer(), nullable=False),
    sa.Column('recycler_id', sa.Integer(), nullable=False),
    sa.Column('quantity_kg', sa.BigInteger(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('payer', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("payer IN ('recycler', 'generator', 'none')", name=op.f('ck_deals_payer_known')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_deals_amount_non_negative')),
    sa.CheckConstraint('quantity_kg > 0', name=op.f('ck_deals_quantity_positive')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_deals_bid_id_bids')),
    sa.ForeignKeyConstraint(['demand_listing_id'], ['demand_listings.id'], name=op.f('fk_deals_demand_listing_id_demand_listings')),
    sa.ForeignKeyConstraint(['generator_id'], ['enterprises.id'], name=op.f('fk_deals_generator_id_enterprises')),
    sa.ForeignKeyConstraint(['recycler_id'], ['enterprises.id'], name=op.f('fk_deals_recycler_id_enterprises')),
    sa.ForeignKeyConstraint(['supply_listing_id'], ['supply_listings.id'], name=op.f('fk_deals_supply_listing_id_supply_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
    sa.UniqueConstraint('bid_id', name=op.f('uq_deals_bid_id')),
    sa.UniqueConstraint('supply_listing_id', name=op.f('uq_deals_supply_listing_id'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_demand_listing_id'), ['demand_listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_generator_id'), ['generator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_recycler_id'), ['recycler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_status'), ['status'], unique=False)

    op.create_table('deal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_deal_events_actor_id_users')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_events_deal_id_deals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_events'))
    )
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_events_deal_id'), ['deal_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('captured_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('intent_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('captured_fen >= 0 AND captured_fen <= amount_fen', name=op.f('ck_payments_captured_range')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_payments_deal_id_deals')),
    sa.ForeignKeyConstraint(['payer_id'], ['enterprises.id'], name=op.f('fk_payments_payer_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_payments_deal_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key')),
    sa.UniqueConstraint('intent_id', name=op.f('uq_payments_intent_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_status'), ['status'], unique=False)

    op.create_table('payment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('intent_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_events_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_events_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_customer_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stripe_payment_method_id', sa.String(length=64), nullable=True))




def downgrade():

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('stripe_payment_method_id')
        batch_op.drop_column('stripe_customer_id')

    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_events_payment_id'))

    op.drop_table('payment_events')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_status'))
        batch_op.drop_index(batch_op.f('ix_payments_payer_id'))

    op.drop_table('payments')
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_events_deal_id'))

    op.drop_table('deal_events')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_status'))
        batch_op.drop_index(batch_op.f('ix_deals_recycler_id'))
        batch_op.drop_index(batch_op.f('ix_deals_generator_id'))
        batch_op.drop_index(batch_op.f('ix_deals_demand_listing_id'))

    op.drop_table('deals')
    with op.batch_alter_table('bid_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_events_bid_id'))

    op.drop_table('bid_events')
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bids_supply_listing_id'))
        batch_op.drop_index(batch_op.f('ix_bids_status'))
        batch_op.drop_index(batch_op.f('ix_bids_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_bids_demand_listing_id'))

    op.drop_table('bids')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_enterprise_id'))

    op.drop_table('messages')

