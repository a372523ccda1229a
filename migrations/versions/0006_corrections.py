"""corrections: a treasurer cancels a funds or spending entry (kept, marked, no longer counted)

Revision ID: 0006_corrections
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = '0006_corrections'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('fund_receipt', 'spending')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('cancelled_at', services.models.base.UtcDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_cancelled_by_id_person'), 'person', ['cancelled_by_id'], ['id']
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_cancelled_by_id_person'), type_='foreignkey')
            batch_op.drop_column('cancelled_by_id')
            batch_op.drop_column('cancelled_at')
