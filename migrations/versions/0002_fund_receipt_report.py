"""fund_receipt.report_id: a receipt whose pencairan_dana report was sent back does not count

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:43:48.258203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('fund_receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_fund_receipt_report_id'), ['report_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_fund_receipt_report_id_stage_report'), 'stage_report', ['report_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('fund_receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fund_receipt_report_id_stage_report'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_fund_receipt_report_id'))
        batch_op.drop_column('report_id')

