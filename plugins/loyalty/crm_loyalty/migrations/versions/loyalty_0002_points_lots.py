"""points left per earning lot, reward descriptions

Revision ID: loyalty_0002
Revises: loyalty_0001
Create Date: 2026-11-24 10:12:41.503118

The lots are filled from the ledger: each member's credits, oldest first, are taken to have paid for
everything spent so far (credits minus the balance), so the open lots add up to the balance.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'loyalty_0002'
down_revision: str | None = 'loyalty_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = """
INSERT INTO loyalty_lots (ledger_id, member_id, expires_on, remaining)
SELECT id, member_id, expires_on, CASE WHEN cumulative - spent >= points THEN points ELSE cumulative - spent END
FROM (
    SELECT l.id, l.member_id, l.expires_on, l.points,
           SUM(l.points) OVER (PARTITION BY l.member_id ORDER BY l.id ROWS UNBOUNDED PRECEDING) AS cumulative,
           t.credited - CASE WHEN t.balance > 0 THEN t.balance ELSE 0 END AS spent
    FROM loyalty_ledger l
    JOIN (SELECT member_id, SUM(CASE WHEN points > 0 THEN points ELSE 0 END) AS credited, SUM(points) AS balance
          FROM loyalty_ledger GROUP BY member_id) t ON t.member_id = l.member_id
    WHERE l.points > 0
) credits
WHERE cumulative > spent
"""


def upgrade() -> None:
    op.create_table('loyalty_lots',
    sa.Column('ledger_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ledger_id'], ['loyalty_ledger.id'], name=op.f('fk_loyalty_lots_ledger_id_loyalty_ledger'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_lots_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ledger_id', name=op.f('pk_loyalty_lots'))
    )
    op.execute(FILL)

    with op.batch_alter_table('loyalty_lots', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_lots_expiry', ['expires_on', 'member_id'], unique=False)
        batch_op.create_index('ix_loyalty_lots_member', ['member_id', 'expires_on'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE loyalty_lots')  # the planner needs the new table's figures before the nightly run

    with op.batch_alter_table('loyalty_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_ledger_expiry')

    with op.batch_alter_table('loyalty_rewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('loyalty_rewards', 'description')  # in place: a copied table would break the redemptions' keys

    with op.batch_alter_table('loyalty_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_ledger_expiry', ['expires_on', 'member_id'], unique=False)

    with op.batch_alter_table('loyalty_lots', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_lots_member')
        batch_op.drop_index('ix_loyalty_lots_expiry')

    op.drop_table('loyalty_lots')
