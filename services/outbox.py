"""The outbox: every message to someone other than the sender goes here, in the same transaction as the change
that caused it, and the delivery worker sends it. The one module that queues rows and says who is reached through
which channel; services/delivery.py is the worker's side (claims, outcomes, progress).

Statuses: pending → sending (claimed: the send is about to start or is running) → sent | failed | unreachable.
An answer to the person who just wrote starts as `answering` instead (see `record_answers`).

Answers (the transactional outbox, issue 14). Every answer a channel runtime gives is recorded here as rows in the
same unit of work as the change it reports, so a crash between that commit and the send loses nothing:
- `answering`: recorded with the work; the direct path of the process that made it (bot/channels/direct.py) sends
  it at once. `claimed_by` is that process, `claimed_until` the end of its grace: until then the worker leaves the
  row alone. Just before its first send the direct path makes it `sending` (claimed_by "direct:…",
  `next_attempt_at` = when that send started), then `sent`, or hands it back `pending` as any outbox row.
- A row still `answering` past its grace was never tried (its process died between the commit and the send): the
  worker sends it, once. A row still `sending` by "direct:…" past its grace may have left: it goes back as a
  message whose fate is unknown (bot/delivery/uncertain.py). services/direct_answers.py `recover` does both.
- Order: a person's answers go out in the order they were made, whichever path sends them. An answer recorded while
  the chat has an earlier one not sent yet (`earlier_unsent`) is recorded `pending` instead, for the worker, which
  sends an answer only once no earlier one of its chat is waiting (bot/delivery/worker.py).
Answer rows carry `ANSWER` in their payload, have no broadcast and no dedupe key: broadcast counts, reports and
WhatsApp's delivery statuses (found by platform message id, which a direct send does not store) never see them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts
from services.models import ChannelIdentity, OutboxMessage, utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNREACHABLE = "unreachable"
ANSWERING = "answering"  # an answer recorded with its work, which the direct path is about to send (see above)
DONE = (SENT, FAILED, UNREACHABLE)
UNSENT = (PENDING, SENDING, ANSWERING)

# `claimed_by` of an answer whose direct send has started (services/direct_answers.py).
DIRECT = "direct:"

# Payload marks. ANSWER: an answer to someone who wrote (its order per chat is kept).
ANSWER = "_answer"
# Of a message whose send may or may not have arrived (see bot/delivery/uncertain.py for the rule).
# UNCERTAIN_SINCE: when the send whose fate is unknown started (ISO 8601, UTC); it is tried at most once more.
UNCERTAIN_SINCE = "_uncertain_since"
# BEHIND: the rest of the same answer, queued behind such a message (its row id): it shares that message's fate.
BEHIND = "_behind"

# Where a person has several channels, the first reachable one in this order is used (Telegram has no quota).
CHANNEL_PREFERENCE = ("telegram", "whatsapp", "console")


async def preferred_identities(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, ChannelIdentity]:
    """The identity each person is reached through, in one query: a reachable one before one that blocked the bot,
    then by CHANNEL_PREFERENCE, then the oldest."""
    ids = list(set(person_ids))
    by_person: dict[int, list[ChannelIdentity]] = {}
    if ids:
        for identity in await session.scalars(select(ChannelIdentity).where(ChannelIdentity.person_id.in_(ids))):
            by_person.setdefault(identity.person_id, []).append(identity)

    def rank(identity: ChannelIdentity) -> tuple[bool, int, int]:
        order = CHANNEL_PREFERENCE.index(identity.channel) if identity.channel in CHANNEL_PREFERENCE else 99
        return (identity.unreachable_at is not None, order, identity.id)

    return {person_id: min(identities, key=rank) for person_id, identities in by_person.items()}


async def preferred_identity(session: AsyncSession, person_id: int) -> ChannelIdentity | None:
    return (await preferred_identities(session, [person_id])).get(person_id)


async def enqueue_once(
    session: AsyncSession,
    identity: ChannelIdentity,
    payload: dict,
    *,
    dedupe_key: str,
    broadcast_id: int | None = None,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue one message unless its dedupe key is already queued; returns the new row id, or None. The unique key
    decides, so two processes queueing the same message at the same moment still make one row.

    `not_before`: not sent before then (a WhatsApp template planned for a later day, services.whatsapp_quota)."""
    statement = (
        insert_ignoring_conflicts(session, OutboxMessage)
        .values(
            dedupe_key=dedupe_key,
            channel=identity.channel,
            external_id=identity.external_id,
            person_id=identity.person_id,
            broadcast_id=broadcast_id,
            payload=payload,
            status=PENDING,
            attempts=0,
            next_attempt_at=not_before or now or utcnow(),
            created_at=now or utcnow(),
        )
        .returning(OutboxMessage.id)
    )
    return await session.scalar(statement)


async def enqueue_for_person(
    session: AsyncSession,
    person_id: int,
    payload: dict,
    *,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    """Queue one message to a person through their preferred channel; returns 1, or 0 when they have no channel
    yet (nothing can reach them) or a message with this dedupe key is queued already."""
    identity = await preferred_identity(session, person_id)
    if identity is None:
        return 0
    if dedupe_key is not None:
        queued = await enqueue_once(
            session, identity, payload, dedupe_key=dedupe_key, broadcast_id=broadcast_id, not_before=not_before
        )
        return 0 if queued is None else 1
    message = OutboxMessage(
        channel=identity.channel,
        external_id=identity.external_id,
        person_id=person_id,
        broadcast_id=broadcast_id,
        payload=payload,
    )
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    return 1


def enqueue_to(
    session: AsyncSession,
    channel: str,
    external_id: str,
    payload: dict,
    *,
    person_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue one message to this very chat (an answer the channel could not send right away)."""
    message = OutboxMessage(channel=channel, external_id=external_id, person_id=person_id, payload=payload)
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    return message


@dataclass(frozen=True)
class Recorded:
    """The rows of one answer, in order; `direct`: the direct path sends them (else they wait for the worker)."""

    ids: tuple[int, ...]
    direct: bool


def blocks_order(payload: dict, claimed_by: str | None = None) -> bool:
    """Does this unsent row hold a later answer of its chat back? An answer does, unless
    - its first send's fate is unknown (or it is the rest of such a one): that may be in the chat already, and a
      newer answer going out sets it aside instead of waiting for it (bot/delivery/uncertain.py);
    - the direct path has started sending it (`claimed_by` "direct:…", services/direct_answers.py): a person's next
      message is handled only after that send ended, so it went (its sent mark is on its way) or its process died
      mid-send, which makes it one whose fate is unknown."""
    if claimed_by is not None and claimed_by.startswith(DIRECT):
        return False
    return ANSWER in payload and UNCERTAIN_SINCE not in payload and BEHIND not in payload


async def earlier_unsent(session: AsyncSession, channel: str, external_id: str, before: int | None = None) -> bool:
    """Has this chat an answer not sent yet (made before row `before`, when given)? One probe of ix_outbox_chat."""
    query = select(OutboxMessage.payload, OutboxMessage.status, OutboxMessage.claimed_by).where(
        OutboxMessage.channel == channel,
        OutboxMessage.external_id == external_id,
        OutboxMessage.status.in_(UNSENT),
    )
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = (await session.execute(query)).all()
    return any(blocks_order(payload, claimed_by if status == SENDING else None) for payload, status, claimed_by in rows)


async def chats_with_unsent(session: AsyncSession, channel: str, holder: str) -> set[str]:
    """The chats with an answer not sent yet that is not `holder`'s own in flight: what the direct path keeps in
    mind (bot/channels/direct.py `Watch`) so that nearly every answer skips `earlier_unsent`. Usually none."""
    query = select(OutboxMessage.external_id, OutboxMessage.payload, OutboxMessage.claimed_by).where(
        OutboxMessage.channel == channel,
        OutboxMessage.status.in_(UNSENT),
        OutboxMessage.broadcast_id.is_(None),
        OutboxMessage.dedupe_key.is_(None),
    )
    rows = (await session.execute(query)).all()
    return {chat for chat, payload, claimed_by in rows if claimed_by != holder and blocks_order(payload, claimed_by)}


_INSERT_ANSWER = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)
_INSERT_ANSWERS = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id, sort_by_parameter_order=True)


async def record_answers(
    session: AsyncSession,
    channel: str,
    external_id: str,
    payloads: Sequence[dict],
    *,
    person_id: int | None,
    holder: str,
    grace: timedelta,
    now: datetime | None = None,
    check: bool = True,
) -> Recorded:
    """Record an answer (its replies' payloads, in order) in the caller's unit of work: `answering` for the direct
    path, or `pending` behind an earlier answer of the chat not sent yet. One query (none with `check=False`: the
    caller knows the chat has none waiting) and one INSERT."""
    now = now or utcnow()
    if not payloads:
        return Recorded((), direct=True)
    queued = check and await earlier_unsent(session, channel, external_id)
    values = [
        {
            "channel": channel,
            "external_id": external_id,
            "person_id": person_id,
            "payload": {**payload, ANSWER: True},
            "status": PENDING if queued else ANSWERING,
            "attempts": 0,
            "claimed_by": None if queued else holder,
            "claimed_until": None if queued else now + grace,
            "next_attempt_at": now if queued else now + grace,
            "created_at": now,
        }
        for payload in payloads
    ]
    # The plain table, the values as parameters: a statement compiled once and cached (values written into it would
    # be compiled for every answer, most of its cost). Several replies: one executemany, ids in their order.
    connection = await session.connection()
    if len(values) == 1:
        ids = (await connection.scalar(_INSERT_ANSWER, values[0]),)
    else:
        ids = tuple((await connection.execute(_INSERT_ANSWERS, values)).scalars())
    return Recorded(ids, direct=not queued)


async def prune_answers(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget answers that went (or never will) long ago: every answer is a row now, and nothing reads an old one
    (the unknown-fate rule looks back minutes, not days). Returns how many were deleted."""
    cutoff = (now or utcnow()) - older_than
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.status.in_(DONE),
            OutboxMessage.created_at < cutoff,
            OutboxMessage.broadcast_id.is_(None),
            OutboxMessage.dedupe_key.is_(None),
            OutboxMessage.payload[ANSWER].as_string().is_not(None),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
