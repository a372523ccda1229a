"""person: at most one active Ketua RT and one active Bendahara Pokja per RT (a partial unique index);
code_attempt.at indexed for the ceiling on wrong codes across all chats

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:00:00
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# The same text as services/models/people.py, so models and migrations do not drift.
ACTIVE_SEAT = sa.text("active AND role IN ('ketua_rt', 'bendahara')")

person = sa.table(
    'person',
    sa.column('id', sa.Integer),
    sa.column('rt_id', sa.Integer),
    sa.column('role', sa.String),
    sa.column('nama', sa.String),
    sa.column('active', sa.Boolean),
    sa.column('created_at', sa.DateTime(timezone=True)),
)
audit_log = sa.table(
    'audit_log',
    sa.column('person_id', sa.Integer),
    sa.column('actor', sa.String),
    sa.column('action', sa.String),
    sa.column('entity', sa.String),
    sa.column('entity_id', sa.String),
    sa.column('detail', sa.JSON),
    sa.column('at', sa.DateTime(timezone=True)),
)


def _extra_holders() -> list[tuple[int, int, str, int]]:
    """(person id, rt id, role, kept person id) of every active seat holder that has a newer one for its seat."""
    newer = person.alias('newer')
    seat = sa.and_(
        newer.c.rt_id == person.c.rt_id,
        newer.c.role == person.c.role,
        newer.c.active == sa.true(),
    )
    is_newer = sa.or_(
        newer.c.created_at > person.c.created_at,
        sa.and_(newer.c.created_at == person.c.created_at, newer.c.id > person.c.id),
    )
    newest = (
        sa.select(newer.c.id)
        .where(seat)
        .order_by(newer.c.created_at.desc(), newer.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        sa.select(person.c.id, person.c.rt_id, person.c.role, newest)
        .where(
            person.c.active == sa.true(),
            person.c.role.in_(['ketua_rt', 'bendahara']),
            person.c.rt_id.is_not(None),
            sa.exists(sa.select(newer.c.id).where(seat, is_newer)),
        )
        .order_by(person.c.id)
    )
    return [tuple(row) for row in op.get_bind().execute(query)]


def upgrade() -> None:
    # A live database may already hold two active holders of one seat (the bug this index closes: an older unused
    # code registered a second Ketua RT). Creating the unique index would then fail and block the deployment, so
    # first keep the most recently created holder active and deactivate the others. The newest is kept because it
    # is the person who registered last with a code the pendamping handed out: usually the replacement, and the one
    # now using the bot. Nothing is deleted: the older holder's reports, identity and history stay, the audit log
    # says why they were deactivated, and an admin can swap them back if the newest was the wrong one.
    extra = _extra_holders()
    if extra:
        now = datetime.now(UTC)
        ids = [person_id for person_id, _rt, _role, _kept in extra]
        op.get_bind().execute(sa.update(person).where(person.c.id.in_(ids)).values(active=False))
        op.bulk_insert(
            audit_log,
            [
                {
                    'person_id': None,
                    'actor': 'migration:0003',
                    'action': 'person.deactivate',
                    'entity': 'person',
                    'entity_id': str(person_id),
                    'detail': {'reason': 'second_active_holder', 'rt_id': rt_id, 'role': role, 'kept': kept},
                    'at': now,
                }
                for person_id, rt_id, role, kept in extra
            ],
        )
        log.warning(
            "Deactivated %d extra seat holder(s) (one Ketua RT / Bendahara per RT; the newest stays): person ids %s",
            len(ids),
            ids,
        )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(
            'uq_person_active_seat',
            ['rt_id', 'role'],
            unique=True,
            sqlite_where=ACTIVE_SEAT,
            postgresql_where=ACTIVE_SEAT,
        )
    with op.batch_alter_table('code_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_attempt_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('code_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_attempt_at'))
    # The deactivations of the upgrade are not undone: reactivating them would bring the double reminders back.
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('uq_person_active_seat')
