"""How one channel's outbox rows are sent and recorded, when that is more than "send the reply, record the result".

Telegram needs nothing more. WhatsApp does (bot/channels/whatsapp/delivery.py): free-form inside the person's 24-hour
window and an approved template outside it, a daily quota of people reached by template, and Graph API errors that
call for something other than the worker's plain retry (back off for one person, mark the number undeliverable,
fail a malformed request at once). A channel gives its policy through `WorkerConfig.policy`; the worker asks it to
send each row and lets it record the outcome first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.channels.base import Sender, SendResult
from handlers.messages import Reply
from services.delivery import Claimed

if TYPE_CHECKING:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from services.db import Database


@dataclass(frozen=True)
class Attempt:
    """What came of trying to send one row."""

    result: SendResult | None  # None: not sent now; the row is handed back for `delay` seconds
    parts_done: int = 0
    delay: float = 0.0
    # A `retry_after` that slows the whole channel down (False: only this person must wait, e.g. WhatsApp 131056).
    pause_channel: bool = True
    # Anything the policy wants to find again when it records the outcome (e.g. the template it went as).
    note: dict | None = None


class DeliveryPolicy(Protocol):
    async def send(self, row: Claimed, reply: Reply, start: int) -> Attempt:
        """Send the row (from call `start`) as the platform allows right now, or say why it waits."""
        ...

    async def record(
        self, session: "AsyncSession", row: Claimed, attempt: Attempt, worker: str, now: datetime
    ) -> str | None:
        """Record the outcome if this policy handles it (returns the worker's stats key); None: the worker's plain
        rules apply (retry with backoff, unknown fate, …)."""
        ...


# What `WorkerConfig.policy` holds: made once per worker, with the worker's sender, database and write lock.
PolicyFactory = Callable[[Sender, "Database", "asyncio.Lock"], DeliveryPolicy]
