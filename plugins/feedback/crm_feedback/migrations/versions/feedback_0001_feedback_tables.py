"""feedback tables

Revision ID: feedback_0001
Revises:
Create Date: 2026-11-23 16:49:52.847233
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'feedback_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('p_value', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_feedback_alerts_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_alerts')),
    sa.UniqueConstraint('product_id', 'day', name='uq_feedback_alerts_product_day')
    )

    with op.batch_alter_table('feedback_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_alerts_day'), ['day'], unique=False)

    op.create_table('feedback_ideas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'planned', 'in_progress', 'shipped', name='ideastatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_feedback_ideas_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_ideas'))
    )

    with op.batch_alter_table('feedback_ideas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_ideas_product_id'), ['product_id'], unique=False)
        batch_op.create_index('ix_feedback_ideas_status', ['status', 'id'], unique=False)

    op.create_table('feedback_surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_feedback_surveys_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_surveys'))
    )

    with op.batch_alter_table('feedback_surveys', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_surveys_customer_answered', ['customer_id', 'answered_at'], unique=False)

    op.create_table('feedback_idea_deals',
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_feedback_idea_deals_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['idea_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_idea_deals_idea_id_feedback_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('idea_id', 'deal_id', name=op.f('pk_feedback_idea_deals'))
    )

    with op.batch_alter_table('feedback_idea_deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_idea_deals_deal_id'), ['deal_id'], unique=False)

    op.create_table('feedback_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('feature', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('idea', 'complaint', 'praise', 'question', name='kind', native_enum=False, length=20), nullable=False),
    sa.Column('sentiment', sa.Enum('negative', 'neutral', 'positive', name='sentiment', native_enum=False, length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.Enum('screen', 'touchpoint', 'api', 'public_form', name='source', native_enum=False, length=20), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('idea_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_feedback_items_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['idea_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_items_idea_id_feedback_ideas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_feedback_items_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoints.id'], name=op.f('fk_feedback_items_touchpoint_id_touchpoints'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_items_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_items'))
    )

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_customer_time', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_items_idea_id'), ['idea_id'], unique=False)
        batch_op.create_index('ix_feedback_items_kind_time', ['kind', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_items_product_kind_time', ['product_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_items_source_hash_time', ['source_hash', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_items_touchpoint_id'), ['touchpoint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_items_touchpoint_id'))
        batch_op.drop_index('ix_feedback_items_source_hash_time')
        batch_op.drop_index('ix_feedback_items_product_kind_time')
        batch_op.drop_index('ix_feedback_items_kind_time')
        batch_op.drop_index(batch_op.f('ix_feedback_items_idea_id'))
        batch_op.drop_index('ix_feedback_items_customer_time')

    op.drop_table('feedback_items')

    with op.batch_alter_table('feedback_idea_deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_idea_deals_deal_id'))

    op.drop_table('feedback_idea_deals')

    with op.batch_alter_table('feedback_surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_surveys_customer_answered')

    op.drop_table('feedback_surveys')

    with op.batch_alter_table('feedback_ideas', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_ideas_status')
        batch_op.drop_index(batch_op.f('ix_feedback_ideas_product_id'))

    op.drop_table('feedback_ideas')

    with op.batch_alter_table('feedback_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_alerts_day'))

    op.drop_table('feedback_alerts')
