"""abc snapshots

Revision ID: abc_analysis_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'abc_analysis_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('abc_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.Column('a_share', sa.Float(), nullable=False),
    sa.Column('b_share', sa.Float(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('products', sa.Integer(), nullable=False),
    sa.Column('total_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('top20_share', sa.Float(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_abc_runs'))
    )
    op.create_table('abc_product_classes',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('cum_share', sa.Float(), nullable=False),
    sa.Column('abc_class', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_abc_product_classes_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['abc_runs.id'], name=op.f('fk_abc_product_classes_run_id_abc_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'product_id', name=op.f('pk_abc_product_classes'))
    )
    with op.batch_alter_table('abc_product_classes', schema=None) as batch_op:
        batch_op.create_index('ix_abc_product_classes_product_run', ['product_id', 'run_id'], unique=False)

    op.create_table('abc_customer_classes',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('cum_share', sa.Float(), nullable=False),
    sa.Column('abc_class', sa.String(length=1), nullable=False),
    sa.Column('purchases', sa.Integer(), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('r_score', sa.Integer(), nullable=False),
    sa.Column('f_score', sa.Integer(), nullable=False),
    sa.Column('m_score', sa.Integer(), nullable=False),
    sa.Column('rfm_segment', sa.String(length=30), nullable=False),
    sa.Column('xyz_class', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_abc_customer_classes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['abc_runs.id'], name=op.f('fk_abc_customer_classes_run_id_abc_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_abc_customer_classes'))
    )
    with op.batch_alter_table('abc_customer_classes', schema=None) as batch_op:
        batch_op.create_index('ix_abc_customer_classes_customer_run', ['customer_id', 'run_id'], unique=False)
        batch_op.create_index('ix_abc_customer_classes_run_class', ['run_id', 'abc_class', 'customer_id'], unique=False)
        batch_op.create_index('ix_abc_customer_classes_run_rank', ['run_id', 'rank'], unique=False)
        batch_op.create_index('ix_abc_customer_classes_run_rfm', ['run_id', 'rfm_segment', 'customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('abc_customer_classes', schema=None) as batch_op:
        batch_op.drop_index('ix_abc_customer_classes_run_rfm')
        batch_op.drop_index('ix_abc_customer_classes_run_rank')
        batch_op.drop_index('ix_abc_customer_classes_run_class')
        batch_op.drop_index('ix_abc_customer_classes_customer_run')

    op.drop_table('abc_customer_classes')
    with op.batch_alter_table('abc_product_classes', schema=None) as batch_op:
        batch_op.drop_index('ix_abc_product_classes_product_run')

    op.drop_table('abc_product_classes')
    op.drop_table('abc_runs')
