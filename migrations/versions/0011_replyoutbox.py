"""outbox: an index per chat, for the answers recorded with their work (the transactional outbox)

Every answer is now an outbox row, and before one goes out the direct path and the worker ask "does this chat have
an earlier answer not sent yet?" (services/outbox.py `earlier_unsent`): one probe of this index, whatever the size of
a broadcast waiting in the same table.

Revision ID: 0011_replyoutbox
Revises: 0010_dashboard
Create Date: 2026-12-01 20:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011_replyoutbox'
down_revision: str | None = '0010_dashboard'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_chat', 'outbox', ['channel', 'external_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_chat', table_name='outbox')
