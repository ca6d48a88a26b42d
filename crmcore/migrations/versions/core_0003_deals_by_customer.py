"""deals of a customer newest first, read from an index

Revision ID: core_0003_deals_by_customer
Revises: core_0002_api
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'core_0003_deals_by_customer'
down_revision: str | None = 'core_0002_api'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deals_customer_id', 'deals', ['customer_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deals_customer_id', table_name='deals')
