"""whatsapp_template_send: templates sent per month and template (the city pays Meta for each)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'whatsapp_template_send',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('template', sa.String(length=512), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'template', name=op.f('pk_whatsapp_template_send')),
    )


def downgrade() -> None:
    op.drop_table('whatsapp_template_send')
