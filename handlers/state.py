"""Conversation state per (channel, user), in the database: it survives restarts and serves several workers."""

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ChannelIdentity, ConversationState, Person
from services.people import identity_with_person

# Every message needs the state, the identity and its person: one statement instead of two, built once. Only the
# state row is locked (PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
_CONVERSATION = (
    select(ConversationState, ChannelIdentity, Person)
    .outerjoin(
        ChannelIdentity,
        and_(
            ChannelIdentity.channel == ConversationState.channel,
            ChannelIdentity.external_id == ConversationState.user_id,
        ),
    )
    .outerjoin(Person, Person.id == ChannelIdentity.person_id)
    .where(ConversationState.channel == bindparam("channel"), ConversationState.user_id == bindparam("user_id"))
    .with_for_update(of=ConversationState)
)


async def load_state(session: AsyncSession, channel: str, user_id: str) -> ConversationState:
    """The person's state, locked for this unit of work on PostgreSQL (two messages at once are serialised)."""
    state = await session.scalar(
        select(ConversationState)
        .where(ConversationState.channel == channel, ConversationState.user_id == user_id)
        .with_for_update()
    )
    if state is None:
        state = ConversationState(channel=channel, user_id=user_id, flow=None, step=None, data={}, version=0)
        session.add(state)
        await session.flush()
    return state


async def load_conversation(
    session: AsyncSession, channel: str, user_id: str
) -> tuple[ConversationState, ChannelIdentity | None, Person | None]:
    """The person's state (locked, as in `load_state`), their identity and person, in one round trip."""
    row = (await session.execute(_CONVERSATION, {"channel": channel, "user_id": user_id})).first()
    if row is not None:
        return row[0], row[1], row[2]
    # First message ever from this chat: the state is created, the identity may already exist (roster import).
    state = await load_state(session, channel, user_id)
    identity, person = await identity_with_person(session, channel, user_id)
    return state, identity, person


def enter(state: ConversationState, flow: str | None, step: str | None) -> None:
    """Move to another question; the version changes so buttons of older questions are recognised as old."""
    if (state.flow, state.step) != (flow, step):
        state.version = (state.version or 0) + 1
        # Assigned only on a change: an untouched state leaves the session clean, and the commit writes nothing.
        state.flow, state.step = flow, step
    if flow is None and state.data:
        state.data = {}


def save_data(state: ConversationState, data: dict) -> None:
    # A new dict object: JSON columns are not mutation-tracked.
    state.data = dict(data)
