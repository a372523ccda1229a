"""What every channel adapter offers the rest of the runtime, whatever the platform.

- `Sender`: deliver one `Reply` to one identity (used for direct answers and by the outbox worker).
- A channel code (`telegram`, `whatsapp`, `console`) is the `channel` of `Incoming`, `ChannelIdentity` and
  `OutboxMessage` rows.
"""

from dataclasses import dataclass
from typing import Protocol

from handlers.messages import Reply


@dataclass(frozen=True)
class SendResult:
    ok: bool
    # The platform asked us to slow down: try this message again after so many seconds.
    retry_after: float | None = None
    # The person blocked the bot / the number does not exist: mark the identity, do not retry.
    unreachable: bool = False
    # The request may have reached the platform (a timeout or a dropped connection after it went out): the message
    # may have been delivered. Never retried blindly — see bot/delivery/uncertain.py.
    uncertain: bool = False
    # No answer came from the platform at all (a network failure or a timeout, whether or not anything left).
    no_answer: bool = False
    # Stored in the database and logged: the channel puts it through bot.redaction before it gets here.
    error: str | None = None

    @property
    def retryable(self) -> bool:
        return not self.ok and not self.unreachable


class Sender(Protocol):
    channel: str

    async def send(self, external_id: str, reply: Reply) -> SendResult: ...
