"""customer classes partitioned by run (PostgreSQL)

Revision ID: abc_analysis_0002
Revises: abc_analysis_0001
Create Date: 2026-11-23 23:10:00

On PostgreSQL abc_customer_classes becomes a table partitioned by run_id, so that a run loads its rows into a
table of its own and attaches it (crm_abc_analysis.partitions). The rows of earlier runs stay where they are: the
old table moves to the schema abc_snapshots and becomes the partition of every run up to the last one. SQLite
keeps the plain table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'abc_analysis_0002'
down_revision: str | None = 'abc_analysis_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def create_customer_classes(**options: str) -> None:
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
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_abc_customer_classes')),
    **options
    )
    op.create_index('ix_abc_customer_classes_customer_run', 'abc_customer_classes', ['customer_id', 'run_id'], unique=False)
    op.create_index('ix_abc_customer_classes_run_class', 'abc_customer_classes', ['run_id', 'abc_class', 'customer_id'], unique=False)
    op.create_index('ix_abc_customer_classes_run_rank', 'abc_customer_classes', ['run_id', 'rank'], unique=False)
    op.create_index('ix_abc_customer_classes_run_rfm', 'abc_customer_classes', ['run_id', 'rfm_segment', 'customer_id'], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute('CREATE SCHEMA IF NOT EXISTS abc_snapshots')
    op.execute('ALTER TABLE abc_customer_classes SET SCHEMA abc_snapshots')
    op.execute('ALTER TABLE abc_snapshots.abc_customer_classes RENAME TO runs_before_partitioning')
    create_customer_classes(postgresql_partition_by='RANGE (run_id)')
    last = bind.execute(sa.text('SELECT MAX(run_id) FROM abc_snapshots.runs_before_partitioning')).scalar()
    if last is None:
        op.execute('DROP TABLE abc_snapshots.runs_before_partitioning')
    else:
        op.execute('ALTER TABLE abc_customer_classes ATTACH PARTITION abc_snapshots.runs_before_partitioning '
                   f'FOR VALUES FROM (MINVALUE) TO ({int(last) + 1})')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE TEMPORARY TABLE abc_customer_classes_rows AS SELECT * FROM abc_customer_classes')
    op.execute('DROP TABLE abc_customer_classes')
    op.execute('DROP SCHEMA abc_snapshots')
    create_customer_classes()
    op.execute('INSERT INTO abc_customer_classes SELECT * FROM abc_customer_classes_rows')
    op.execute('DROP TABLE abc_customer_classes_rows')
