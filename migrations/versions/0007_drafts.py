"""report_draft: a /lapor left unfinished is kept for a few days and offered back; stage_report.review_fix: what a
send-back asks to fix

Revision ID: 0006_drafts
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = "0006_drafts"
down_revision: str | None = "0006_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rt_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("saved_at", services.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", services.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_report_draft_person_id_person")),
        sa.ForeignKeyConstraint(["rt_id"], ["rt.id"], name=op.f("fk_report_draft_rt_id_rt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_draft")),
        sa.UniqueConstraint("rt_id", "stage_key", name=op.f("uq_report_draft_rt_id_stage_key")),
    )
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_draft_expires_at"), ["expires_at"], unique=False)
    with op.batch_alter_table("stage_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_fix", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stage_report", schema=None) as batch_op:
        batch_op.drop_column("review_fix")
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_draft_expires_at"))
    op.drop_table("report_draft")
