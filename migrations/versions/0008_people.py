"""invitation.replaces_person_id: a code that hands a seat over (`invite create --ganti`); pesan: messages between
an RT and its pendamping (`/hubungi`, "Balas")

Revision ID: 0006_people
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = '0006_people'
down_revision: str | None = "0006_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_invitation_replaces_person_id_person'), 'person', ['replaces_person_id'], ['id']
        )

    op.create_table('pesan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rt_id', sa.Integer(), nullable=False),
    sa.Column('from_person_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_to_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_person_id'], ['person.id'], name=op.f('fk_pesan_from_person_id_person')),
    sa.ForeignKeyConstraint(['reply_to_id'], ['pesan.id'], name=op.f('fk_pesan_reply_to_id_pesan')),
    sa.ForeignKeyConstraint(['rt_id'], ['rt.id'], name=op.f('fk_pesan_rt_id_rt')),
    sa.ForeignKeyConstraint(['to_person_id'], ['person.id'], name=op.f('fk_pesan_to_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pesan'))
    )
    with op.batch_alter_table('pesan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pesan_from_person_id'), ['from_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pesan_rt_id'), ['rt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pesan_to_person_id'), ['to_person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pesan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pesan_to_person_id'))
        batch_op.drop_index(batch_op.f('ix_pesan_rt_id'))
        batch_op.drop_index(batch_op.f('ix_pesan_from_person_id'))

    op.drop_table('pesan')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitation_replaces_person_id_person'), type_='foreignkey')
        batch_op.drop_column('replaces_person_id')
