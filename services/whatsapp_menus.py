"""The last numbered text menu shown to a WhatsApp number (a question with more choices than a list holds), so a
typed "7" is read as the 7th choice. In the database: the answer may reach another process, or come after a restart.

The sender remembers a menu when it sends one; any later text message that is not a menu number is just text.
A newer menu replaces the older one; a message with no menu does not forget it (a reminder may arrive in between).
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import numbers
from services.models import WhatsAppMenu, utcnow


async def remember(
    session: AsyncSession, external_id: str, token: int | None, choice_ids: list[str], now: datetime | None = None
) -> None:
    """Keep this menu as the one a typed number answers (choice ids in the order they were numbered)."""
    menu = await session.get(WhatsAppMenu, external_id)
    if menu is None:
        session.add(
            WhatsAppMenu(external_id=external_id, token=token, choices=list(choice_ids), shown_at=now or utcnow())
        )
    else:
        menu.token, menu.choices, menu.shown_at = token, list(choice_ids), now or utcnow()
    await session.flush()


async def pick(session: AsyncSession, external_id: str, text: str) -> tuple[int | None, str] | None:
    """(token, choice id) when `text` is a number of the menu last shown to this number; else None."""
    menu = await session.get(WhatsAppMenu, external_id)
    if menu is None or not menu.choices:
        return None
    at = numbers.position(text.strip(), len(menu.choices))
    return None if at is None else (menu.token, menu.choices[at])
