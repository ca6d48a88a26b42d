"""email marketing: campaigns, deliveries, events, suppressions

Revision ID: email_marketing_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "email_marketing_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_marketing_suppressions',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_email_marketing_suppressions'))
    )
    op.create_table('email_marketing_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('from_email', sa.String(length=254), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('reply_to', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('subject_b', sa.String(length=998), nullable=True),
    sa.Column('ab_sample_percent', sa.Integer(), nullable=False),
    sa.Column('ab_metric', sa.String(length=10), nullable=False),
    sa.Column('ab_wait_minutes', sa.Integer(), nullable=False),
    sa.Column('ab_winner', sa.String(length=1), nullable=True),
    sa.Column('ab_decide_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('segment_keys', sa.JSON(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'sending', 'testing', 'paused', 'sent', 'cancelled', name='campaignstatus', native_enum=False, length=20), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_email_marketing_campaigns_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_marketing_campaigns'))
    )
    with op.batch_alter_table('email_marketing_campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_email_marketing_campaigns_status', ['status', 'scheduled_at'], unique=False)
    op.create_table('email_marketing_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('variant', sa.String(length=1), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('held', 'queued', 'sending', 'sent', 'failed', 'bounced', 'cancelled', name='deliverystatus', native_enum=False, length=12), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['email_marketing_campaigns.id'], name=op.f('fk_email_marketing_deliveries_campaign_id_email_marketing_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_email_marketing_deliveries_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_marketing_deliveries')),
    sa.UniqueConstraint('campaign_id', 'customer_id', name='uq_email_marketing_deliveries_campaign_customer')
    )
    with op.batch_alter_table('email_marketing_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_email_marketing_deliveries_claim', ['campaign_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_email_marketing_deliveries_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_email_marketing_deliveries_stale', ['status', 'claimed_at'], unique=False)
        batch_op.create_index('ix_email_marketing_deliveries_token', ['claim_token'], unique=False)
    op.create_table('email_marketing_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('open', 'click', 'unsubscribe', name='eventkind', native_enum=False, length=12), nullable=False),
    sa.Column('link_index', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_email_marketing_events_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delivery_id'], ['email_marketing_deliveries.id'], name=op.f('fk_email_marketing_events_delivery_id_email_marketing_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_marketing_events'))
    )
    with op.batch_alter_table('email_marketing_events', schema=None) as batch_op:
        batch_op.create_index('ix_email_marketing_events_campaign', ['campaign_id', 'kind'], unique=False)
        batch_op.create_index('ix_email_marketing_events_customer_time', ['customer_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_email_marketing_events_delivery', ['delivery_id', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_table("email_marketing_events")
    op.drop_table("email_marketing_deliveries")
    op.drop_table("email_marketing_campaigns")
    op.drop_table("email_marketing_suppressions")
