"""The direct path's side of the answers recorded with their work (services/outbox.py says the whole lifecycle):
say a send starts, say it went, hand back what did not — and, for the worker, take over what a dead process left.

Why a write just before the send: without it a row left behind could not say whether its send had started, and
"exactly once" needs the difference. Never started (the process died between the commit and the send): sent by the
worker, plainly. Started: it may be in the chat already, so it goes back as a message whose fate is unknown and
the rule of bot/delivery/uncertain.py decides (at most once more, only when nothing newer reached the chat).
Each mark is one UPDATE for all the replies of an answer.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import OutboxMessage
from services.outbox import ANSWERING, BEHIND, DIRECT, FAILED, PENDING, SENDING, SENT, UNCERTAIN_SINCE, UNREACHABLE

# DIRECT, the `claimed_by` of a row whose direct send has started: the worker's lease rules ("sent again, in
# doubt") do not apply to it, `recover` does.
PASSED_OVER = "taken over: the answer was not sent in time by the process that made it"


def holder_name(process: str) -> str:
    """The `claimed_by` of this process's direct sends (short enough for the column: 64 characters)."""
    return (DIRECT + process)[:64]


async def start(session: AsyncSession, ids: Sequence[int], holder: str, now: datetime, grace: timedelta) -> set[int]:
    """These answers' sends start now (the answers of several people at once: one UPDATE). Returns the ids that
    are still this process's; a missing one ran out of its grace and the worker took it over: not to be sent here."""
    if not ids:
        return set()
    started = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == ANSWERING)
        .values(status=SENDING, claimed_by=holder, claimed_until=now + grace, next_attempt_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(started)


async def sent(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    """They went out. Unconditional, like the worker's mark_sent: whoever holds them now, they did go."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=SENT, sent_at=now, claimed_by=None, claimed_until=None, attempts=1)
            .execution_options(synchronize_session=False)
        )


async def hand_over(
    session: AsyncSession, rows: Sequence[tuple[int, dict]], holder: str, not_before: datetime, error: str
) -> None:
    """Back to the outbox, for the worker, with their payloads as they are now (what was done, a fate unknown)."""
    if not rows:
        return
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == bindparam("row_id"), OutboxMessage.claimed_by == holder)
        .values(
            status=PENDING,
            payload=bindparam("new_payload"),
            next_attempt_at=not_before,
            claimed_by=None,
            claimed_until=None,
            attempts=1,
            error=error[:500],
        )
        .execution_options(synchronize_session=False)
    )
    connection = await session.connection()
    await connection.execute(statement, [{"row_id": row_id, "new_payload": payload} for row_id, payload in rows])


async def give_up(session: AsyncSession, ids: Sequence[int], *, unreachable: bool, error: str) -> None:
    """Never to be sent: a bad request stays bad, a chat that blocked the bot is gone."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=UNREACHABLE if unreachable else FAILED,
                error=error[:500],
                claimed_by=None,
                claimed_until=None,
                attempts=1,
            )
            .execution_options(synchronize_session=False)
        )


async def recover(session: AsyncSession, channel: str, now: datetime) -> tuple[int, int]:
    """Answers whose process died: never tried → pending, sent as any row; started → pending, fate unknown.
    Returns (never tried, started). One indexed read when there are none, which is nearly always."""
    left = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_by, OutboxMessage.payload)
            .add_columns(OutboxMessage.external_id, OutboxMessage.next_attempt_at)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status.in_((ANSWERING, SENDING)),
                OutboxMessage.claimed_until < now,
            )
        )
    ).all()
    untried = [row.id for row in left if row.status == ANSWERING]
    started = [row for row in left if row.status == SENDING and (row.claimed_by or "").startswith(DIRECT)]
    if untried:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(untried), OutboxMessage.status == ANSWERING)
            .values(status=PENDING, next_attempt_at=now, claimed_by=None, claimed_until=None, error=PASSED_OVER)
            .execution_options(synchronize_session=False)
        )
    first_of: dict[tuple, int] = {}
    for row in sorted(started, key=lambda row: row.id):
        # When its send started (set by `start`): the unknown-fate rule waits from then, and a message that reached
        # the chat after that sets it aside. The rows of one answer share a start: the rest waits behind the first
        # and shares its fate, as in bot/channels/direct.py (else the first, sent once more, would count as "newer"
        # than the rest and set it aside).
        answer = (row.claimed_by, row.external_id, row.next_attempt_at)
        if answer in first_of:
            payload = {**row.payload, BEHIND: first_of[answer]}
        else:
            first_of[answer] = row.id
            payload = {**row.payload, UNCERTAIN_SINCE: row.next_attempt_at.isoformat()}
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.claimed_by)
            .where(OutboxMessage.status == SENDING)
            .values(status=PENDING, payload=payload, next_attempt_at=now, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    return len(untried), len(started)
