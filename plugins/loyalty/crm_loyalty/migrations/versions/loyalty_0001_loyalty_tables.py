"""loyalty tables

Revision ID: loyalty_0001
Revises:
Create Date: 2026-11-23 16:37:15.234836
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'loyalty_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('loyalty_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('points_per_unit', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('unit_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('rounding', sa.String(length=10), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('points_per_purchase', sa.Integer(), nullable=False),
    sa.Column('first_purchase_bonus', sa.Integer(), nullable=False),
    sa.Column('birthday_month_bonus', sa.Integer(), nullable=False),
    sa.Column('bonus_segment', sa.String(length=120), nullable=True),
    sa.Column('segment_multiplier', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=True),
    sa.Column('point_value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_programmes')),
    sa.UniqueConstraint('name', name=op.f('uq_loyalty_programmes_name'))
    )

    op.create_table('loyalty_rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('coupon', 'free_delivery', 'gift', name='rewardkind', native_enum=False, length=20), nullable=False),
    sa.Column('cost_points', sa.Integer(), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('discount_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['loyalty_programmes.id'], name=op.f('fk_loyalty_rewards_programme_id_loyalty_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_rewards'))
    )

    with op.batch_alter_table('loyalty_rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_rewards_programme_id'), ['programme_id'], unique=False)

    op.create_table('loyalty_tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('basis', sa.Enum('points', 'spend', name='tierbasis', native_enum=False, length=20), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('multiplier', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('benefits', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['loyalty_programmes.id'], name=op.f('fk_loyalty_tiers_programme_id_loyalty_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_tiers')),
    sa.UniqueConstraint('programme_id', 'name', name=op.f('uq_loyalty_tiers_programme_id'))
    )

    with op.batch_alter_table('loyalty_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_tiers_programme_id'), ['programme_id'], unique=False)

    op.create_table('loyalty_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=32), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('lock_seq', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_members_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['loyalty_programmes.id'], name=op.f('fk_loyalty_members_programme_id_loyalty_programmes')),
    sa.ForeignKeyConstraint(['tier_id'], ['loyalty_tiers.id'], name=op.f('fk_loyalty_members_tier_id_loyalty_tiers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_members')),
    sa.UniqueConstraint('card_number', name=op.f('uq_loyalty_members_card_number')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_loyalty_members_customer_id'))
    )

    with op.batch_alter_table('loyalty_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_members_last_activity_at'), ['last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_members_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_members_tier_id'), ['tier_id'], unique=False)

    op.create_table('loyalty_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('earn', 'refund', 'reverse', 'redeem', 'expire', 'adjust', name='entrykind', native_enum=False, length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_ledger_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_loyalty_ledger_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_ledger')),
    sa.UniqueConstraint('deal_id', 'kind', name='uq_loyalty_ledger_deal_kind')
    )

    with op.batch_alter_table('loyalty_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_ledger_expiry', ['expires_on', 'member_id'], unique=False)
        batch_op.create_index('ix_loyalty_ledger_kind_time', ['kind', 'created_at'], unique=False)
        batch_op.create_index('ix_loyalty_ledger_member_time', ['member_id', 'created_at', 'id'], unique=False)

    op.create_table('loyalty_tier_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_tier_id', sa.Integer(), nullable=True),
    sa.Column('to_tier_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_tier_id'], ['loyalty_tiers.id'], name=op.f('fk_loyalty_tier_changes_from_tier_id_loyalty_tiers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_tier_changes_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_tier_id'], ['loyalty_tiers.id'], name=op.f('fk_loyalty_tier_changes_to_tier_id_loyalty_tiers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_tier_changes'))
    )

    with op.batch_alter_table('loyalty_tier_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_tier_changes_member_id'), ['member_id'], unique=False)

    op.create_table('loyalty_redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('ledger_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ledger_id'], ['loyalty_ledger.id'], name=op.f('fk_loyalty_redemptions_ledger_id_loyalty_ledger')),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_redemptions_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reward_id'], ['loyalty_rewards.id'], name=op.f('fk_loyalty_redemptions_reward_id_loyalty_rewards')),
    sa.ForeignKeyConstraint(['used_by'], ['users.id'], name=op.f('fk_loyalty_redemptions_used_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_redemptions')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_redemptions_code')),
    sa.UniqueConstraint('ledger_id', name=op.f('uq_loyalty_redemptions_ledger_id'))
    )

    with op.batch_alter_table('loyalty_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_redemptions_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_redemptions_reward_id'), ['reward_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('loyalty_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_redemptions_reward_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_redemptions_member_id'))

    op.drop_table('loyalty_redemptions')

    with op.batch_alter_table('loyalty_tier_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_tier_changes_member_id'))

    op.drop_table('loyalty_tier_changes')

    with op.batch_alter_table('loyalty_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_ledger_member_time')
        batch_op.drop_index('ix_loyalty_ledger_kind_time')
        batch_op.drop_index('ix_loyalty_ledger_expiry')

    op.drop_table('loyalty_ledger')

    with op.batch_alter_table('loyalty_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_members_tier_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_members_programme_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_members_last_activity_at'))

    op.drop_table('loyalty_members')

    with op.batch_alter_table('loyalty_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_tiers_programme_id'))

    op.drop_table('loyalty_tiers')

    with op.batch_alter_table('loyalty_rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_rewards_programme_id'))

    op.drop_table('loyalty_rewards')

    op.drop_table('loyalty_programmes')
