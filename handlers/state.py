"""Conversation state per (channel, user), in the database: it survives restarts and serves several workers."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ConversationState


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


def enter(state: ConversationState, flow: str | None, step: str | None) -> None:
    """Move to another question; the version changes so buttons of older questions are recognised as old."""
    if (state.flow, state.step) != (flow, step):
        state.version = (state.version or 0) + 1
    state.flow, state.step = flow, step
    if flow is None and state.data:
        state.data = {}


def save_data(state: ConversationState, data: dict) -> None:
    # A new dict object: JSON columns are not mutation-tracked.
    state.data = dict(data)
