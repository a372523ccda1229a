"""What every channel adapter offers the rest of the runtime, whatever the platform.

- `Sender`: deliver one `Reply` to one identity (used for direct answers and by the outbox worker).
- `InboundAdapter` (bot/channels/inbound.py): turn the platform's raw updates into `Incoming`s for the neutral core.
- A channel code (`telegram`, `whatsapp`, `console`) is the `channel` of `Incoming`, `ChannelIdentity` and
  `OutboxMessage` rows.
"""

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from handlers.messages import Reply

# Prefix of `SendResult.error` for failures that may pass on their own (network, the platform's 5xx): the direct
# path backs off and hands them to the outbox; anything else is a bad request that would only fail again.
TRANSIENT = "transient: "


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
    # The platform's id of the (last) message that went out (WhatsApp's wamid): stored on the outbox row, so the
    # delivery statuses the platform sends later find it.
    message_id: str | None = None
    # The platform's own error code when it refused (WhatsApp Graph API: 131047, 130429, 131056, …): the delivery
    # policy decides by it (a template instead, slow down, back off for one person, mark undeliverable, give up).
    error_code: int | None = None

    @property
    def retryable(self) -> bool:
        return not self.ok and not self.unreachable


@runtime_checkable
class Sender(Protocol):
    """Everything the direct path and the outbox worker need from a channel, so neither probes what a sender has.

    A sender never sleeps nor retries: it reports each outcome as a `SendResult` (errors redacted, they are stored)
    and the caller decides. A `Reply` may take several platform calls (a long text, photos first): `send_from`
    resumes at a call index, so a retry never repeats what already went out.
    """

    channel: str  # the channel code of Incoming / ChannelIdentity / OutboxMessage rows ("telegram")

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        """The whole reply, from its first call."""
        ...

    async def send_from(self, external_id: str, reply: Reply, start: int) -> tuple[SendResult, int]:
        """The reply's calls from index `start`; the result and how many calls are done in total."""
        ...

    async def send_file(self, external_id: str, path: str, kind: str) -> SendResult:
        """One stored file (relative to MEDIA_DIR; kind "photo" or "document"), without words."""
        ...

    async def alive(self) -> bool:
        """Does the platform answer at all right now? (the unknown-fate gate asks; any answer, even an error, counts)"""
        ...

    async def close(self) -> None:
        """Release the connections; the sender is not used afterwards."""
        ...
