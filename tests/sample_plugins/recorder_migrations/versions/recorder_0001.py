"""recorder notes

Revision ID: recorder_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "recorder_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recorder_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_recorder_notes_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorder_notes")),
    )
    op.create_index(op.f("ix_recorder_notes_customer_id"), "recorder_notes", ["customer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recorder_notes_customer_id"), table_name="recorder_notes")
    op.drop_table("recorder_notes")
