"""What WhatsApp's receiving side asks the database before the conversation sees a message.

- `own_identity`: a WhatsApp identity is keyed on the phone number (wa_id) and also keeps Meta's business-scoped
  user id (`contacts[].user_id`). A message that comes with the user id alone (a person who hid the number behind
  a username) is then still theirs, instead of a stranger's.
- `typed_choice`: a typed number that answers the numbered text menu still on the screen (more choices than a
  list holds). A menu of an earlier question is not: after the conversation moved on, "7" is just the text "7"
  (e.g. seven KK), never a pick from an old menu.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import whatsapp_menus
from services.models import ChannelIdentity, ConversationState

CHANNEL = "whatsapp"


async def own_identity(session: AsyncSession, external_id: str, platform_user_id: str | None) -> str:
    """The external id the conversation knows this sender by; keeps `platform_user_id` on their identity."""
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == external_id)
    )
    if identity is None:
        # Only a user id came (no wa_id): the identity that was registered under the number and has this user id.
        identity = await session.scalar(
            select(ChannelIdentity)
            .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.platform_user_id == external_id)
            .order_by(ChannelIdentity.id)
            .limit(1)
        )
        if identity is None:
            return external_id
    if platform_user_id and identity.platform_user_id != platform_user_id:
        identity.platform_user_id = platform_user_id
        await session.flush()
    return identity.external_id


async def typed_choice(session: AsyncSession, external_id: str, text: str) -> tuple[int | None, str] | None:
    """(token, choice id) when `text` is a number of the menu this person has on screen now; else None."""
    picked = await whatsapp_menus.pick(session, external_id, text)
    if picked is None:
        return None
    token = picked[0]
    if token is not None:
        state = await session.get(ConversationState, {"channel": CHANNEL, "user_id": external_id})
        if state is None or state.version != token:
            return None  # the menu of a question already answered or left
    return picked
