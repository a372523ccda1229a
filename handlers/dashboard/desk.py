"""The dashboard's `Desk` (handlers/context.py): what a decision taken in the browser needs, as the chat's Context
gives it to a flow — the unit of work, the program, who decides, when, and how to tell someone through the bot."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import notify
from handlers.messages import Reply
from services.models import Person
from services.program import Program


def web_actor(person: Person) -> str:
    # Audit rows say where a change came from: "telegram:<id>" from the chat, "web:<person id>" from here.
    return f"web:{person.id}"


@dataclass
class WebDesk:
    session: AsyncSession
    program: Program
    person: Person
    now: datetime

    @property
    def actor(self) -> str:
        return web_actor(self.person)

    async def notify(
        self,
        recipient: Person,
        render: Callable[[], Reply],
        *,
        dedupe_key: str | None = None,
        purpose: str | None = None,
    ) -> int:
        return await notify(self.session, recipient, render, dedupe_key=dedupe_key, purpose=purpose)
