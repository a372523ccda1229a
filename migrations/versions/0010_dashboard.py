"""dashboard: sign-in links and sessions, training RTs, example reports

Revision ID: 0010_dashboard
Revises: 0006_sendlease
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.models.base

revision: str = '0010_dashboard'
down_revision: str | None = '0006_sendlease'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_login_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', services.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_web_login_link_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_login_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_login_link_token_hash'))
    )
    op.create_index(op.f('ix_web_login_link_person_id'), 'web_login_link', ['person_id'], unique=False)
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', services.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', services.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_web_session_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_session_token_hash'))
    )
    op.create_index(op.f('ix_web_session_person_id'), 'web_session', ['person_id'], unique=False)
    with op.batch_alter_table('rt') as batch:
        batch.add_column(sa.Column('latihan', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('stage_report') as batch:
        batch.add_column(sa.Column('contoh_at', services.models.base.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('contoh_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_stage_report_contoh_by_id_person'), 'person', ['contoh_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('stage_report') as batch:
        batch.drop_constraint(op.f('fk_stage_report_contoh_by_id_person'), type_='foreignkey')
        batch.drop_column('contoh_by_id')
        batch.drop_column('contoh_at')
    with op.batch_alter_table('rt') as batch:
        batch.drop_column('latihan')
    op.drop_index(op.f('ix_web_session_person_id'), table_name='web_session')
    op.drop_table('web_session')
    op.drop_index(op.f('ix_web_login_link_person_id'), table_name='web_login_link')
    op.drop_table('web_login_link')
