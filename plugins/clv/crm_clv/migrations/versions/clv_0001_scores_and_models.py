"""Fitted models and each customer's latest scores.

Revision ID: clv_0001
Revises:
Create Date: 2026-11-23 16:38:38.072244
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'clv_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clv_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('calibration_end', sa.Date(), nullable=False),
    sa.Column('holdout_end', sa.Date(), nullable=True),
    sa.Column('r', sa.Float(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('a', sa.Float(), nullable=False),
    sa.Column('b', sa.Float(), nullable=False),
    sa.Column('bgnbd_log_likelihood', sa.Float(), nullable=False),
    sa.Column('p', sa.Float(), nullable=False),
    sa.Column('q', sa.Float(), nullable=False),
    sa.Column('gamma', sa.Float(), nullable=False),
    sa.Column('gamma_gamma_log_likelihood', sa.Float(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('repeat_buyers', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('tracking', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clv_models'))
    )
    op.create_table('clv_scores',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('scored_on', sa.Date(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('recency_weeks', sa.Float(), nullable=False),
    sa.Column('age_weeks', sa.Float(), nullable=False),
    sa.Column('monetary_value', sa.Float(), nullable=False),
    sa.Column('revenue', sa.Float(), nullable=False),
    sa.Column('p_alive', sa.Float(), nullable=False),
    sa.Column('expected_purchases', sa.Float(), nullable=False),
    sa.Column('clv', sa.Float(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_clv_scores_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['clv_models.id'], name=op.f('fk_clv_scores_model_id_clv_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_clv_scores'))
    )
    with op.batch_alter_table('clv_scores', schema=None) as batch_op:
        batch_op.create_index('ix_clv_scores_clv', ['clv', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clv_scores_model_id'), ['model_id'], unique=False)
        batch_op.create_index('ix_clv_scores_p_alive', ['p_alive', 'customer_id'], unique=False)
        batch_op.create_index('ix_clv_scores_revenue', ['revenue'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clv_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_clv_scores_revenue')
        batch_op.drop_index('ix_clv_scores_p_alive')
        batch_op.drop_index(batch_op.f('ix_clv_scores_model_id'))
        batch_op.drop_index('ix_clv_scores_clv')

    op.drop_table('clv_scores')
    op.drop_table('clv_models')
