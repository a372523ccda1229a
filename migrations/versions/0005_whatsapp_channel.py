"""inbound_update: webhooks store what arrived and answer at once; outbox rows learn the platform's message id,
its delivery status and the template it went as; channel_identity keeps Meta's user id and undeliverable marks;
whatsapp_menu holds the last numbered menu per number

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('update_id', sa.String(length=128), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', services.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('done_at', services.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_update')),
    sa.UniqueConstraint('channel', 'update_id', name=op.f('uq_inbound_update_channel_update_id'))
    )
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_update_done_at'), ['done_at'], unique=False)
        batch_op.create_index('ix_inbound_update_person', ['channel', 'person', 'id'], unique=False)

    op.create_table('whatsapp_menu',
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.Integer(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('shown_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('external_id', name=op.f('pk_whatsapp_menu'))
    )
    with op.batch_alter_table('channel_identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_user_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('undeliverable_at', services.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undeliverable_reason', sa.String(length=200), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_message_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', services.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('read_at', services.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('template', sa.String(length=512), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_platform_message_id'), ['platform_message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_platform_message_id'))
        batch_op.drop_column('template')
        batch_op.drop_column('read_at')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('platform_message_id')

    with op.batch_alter_table('channel_identity', schema=None) as batch_op:
        batch_op.drop_column('undeliverable_reason')
        batch_op.drop_column('undeliverable_at')
        batch_op.drop_column('platform_user_id')

    op.drop_table('whatsapp_menu')
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_update_person')
        batch_op.drop_index(batch_op.f('ix_inbound_update_done_at'))

    op.drop_table('inbound_update')
