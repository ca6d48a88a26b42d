"""lead scores and models

Revision ID: leadscoring_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "leadscoring_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leadscoring_scores",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("rule_score", sa.Float(), nullable=False),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_leadscoring_scores_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_leadscoring_scores")),
    )
    op.create_index("ix_leadscoring_scores_score_customer", "leadscoring_scores", ["score", "customer_id"])
    op.create_index("ix_leadscoring_scores_grade_customer", "leadscoring_scores", ["grade", "customer_id"])
    op.create_table(
        "leadscoring_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("auc", sa.Float(), nullable=True),
        sa.Column("n_leads", sa.Integer(), nullable=False),
        sa.Column("n_won", sa.Integer(), nullable=False),
        sa.Column("n_lost", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leadscoring_models")),
    )


def downgrade() -> None:
    op.drop_table("leadscoring_models")
    op.drop_index("ix_leadscoring_scores_grade_customer", table_name="leadscoring_scores")
    op.drop_index("ix_leadscoring_scores_score_customer", table_name="leadscoring_scores")
    op.drop_table("leadscoring_scores")
