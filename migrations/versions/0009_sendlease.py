"""channel_lease: one worker process at a time sends as each channel account

Revision ID: 0006_sendlease
Revises: 0005
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = '0006_sendlease'
down_revision: str | None = '0006_people'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_lease',
    sa.Column('account', sa.String(length=128), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('expires_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_channel_lease'))
    )


def downgrade() -> None:
    op.drop_table('channel_lease')
