"""The simulator's transcript, kept in the two tables that already hold what a channel received and sent.

What the training person sent is an `inbound_update` row of channel `simulator`, stored done (no drain ever takes
it: drains take their own channel's rows that are not done); what the bot answered is an `outbox` row stored sent
(no worker sends channel `simulator`). Messages other people caused for the training person (a reminder would be
one; a pendamping's message another) are queued to the same identity by services/outbox.py and appear in order;
they are marked sent once shown, as the console does. Reset (services/training.py) deletes both; done inbound rows
are also pruned with every channel's (services/inbound_queue.prune), which only shortens the transcript.

A table of its own (`simulator_turn`: identity, who spoke, payload, at) would be the clean place; no migration
was made for it (only the lead writes migrations).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import InboundUpdate, OutboxMessage
from services.outbox import PENDING, SENT
from services.training import CHANNEL

KEEP = 50  # turns shown: the last exchanges, enough to follow a /lapor from start to end


@dataclass(frozen=True)
class Turn:
    at: datetime
    mine: bool  # sent by the training person (else the bot's)
    payload: dict  # mine: {"kind", "text", "files"}; the bot's: handlers/payload.py's reply payload


def record_sent(session: AsyncSession, user_id: str, update_id: str, payload: dict, *, at: datetime) -> None:
    """What the training person sent (taken before the core answered: it sorts before the answers)."""
    session.add(
        InboundUpdate(
            channel=CHANNEL,
            update_id=update_id,
            person=user_id,
            payload=payload,
            received_at=at,
            claimed_by=CHANNEL,
            attempts=1,
            done_at=at,
        )
    )


def record_answers(
    session: AsyncSession, user_id: str, person_id: int | None, payloads: list[dict], *, at: datetime
) -> None:
    for payload in payloads:
        session.add(
            OutboxMessage(
                channel=CHANNEL,
                external_id=user_id,
                person_id=person_id,
                payload=payload,
                status=SENT,
                attempts=1,
                created_at=at,
                next_attempt_at=at,
                sent_at=at,
            )
        )


async def transcript(session: AsyncSession, user_id: str, *, now: datetime, keep: int = KEEP) -> list[Turn]:
    """The last `keep` turns, oldest first. Messages queued for the person by others are marked shown (sent)."""
    sent = await session.scalars(
        select(InboundUpdate)
        .where(InboundUpdate.channel == CHANNEL, InboundUpdate.person == user_id)
        .order_by(InboundUpdate.id.desc())
        .limit(keep)
    )
    answers = list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == CHANNEL, OutboxMessage.external_id == user_id)
            .order_by(OutboxMessage.id.desc())
            .limit(keep)
        )
    )
    for row in answers:
        if row.status == PENDING and row.claimed_by is None:
            row.status, row.sent_at, row.attempts = SENT, now, row.attempts + 1
    turns = [(row.received_at, 0, row.id, Turn(row.received_at, True, row.payload)) for row in sent]
    turns += [(row.created_at, 1, row.id, Turn(row.created_at, False, row.payload)) for row in answers]
    turns.sort(key=lambda t: t[:3])
    return [turn for *_key, turn in turns[-keep:]]


async def last_choice_label(session: AsyncSession, user_id: str, choice_id: str) -> str | None:
    """The label of the button with this id among the latest answers (what the person saw and pressed)."""
    for payload in await session.scalars(
        select(OutboxMessage.payload)
        .where(OutboxMessage.channel == CHANNEL, OutboxMessage.external_id == user_id)
        .order_by(OutboxMessage.id.desc())
        .limit(KEEP)
    ):
        for choice in payload.get("choices", []):
            if choice.get("id") == choice_id:
                return choice.get("label")
    return None
