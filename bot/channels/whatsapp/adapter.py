"""WhatsApp's side of receiving: a stored webhook item (bot/channels/whatsapp/items.py) → `Arrival` for the neutral
core (bot/channels/inbound.py); media fetched from the Graph API; a typed menu number read as the choice it picks;
delivery statuses recorded on the outbox rows; the blue ticks once a message is answered.

The webhook stores each message and status as one item and answers 200 at once; a drain feeds the items, in
arrival order per person, to `InboundProcessor(WhatsAppAdapter(...), engine).process(item)`.
"""

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Sender
from bot.channels.inbound import Arrival, TryLater
from bot.channels.whatsapp.client import DEFAULT_TIMEOUT, WhatsAppClient
from bot.channels.whatsapp.incoming import CHANNEL, to_incoming, to_status, user_id_of
from bot.channels.whatsapp.items import STATUS, SYNTHETIC, message_update_id, status_person, status_update_id
from bot.channels.whatsapp.media import DOCUMENT_MB, item_too_large, whatsapp_fetcher
from bot.channels.whatsapp.payload import Value
from bot.redaction import redact
from handlers.messages import Incoming, Kind, MediaItem
from services import delivery_status, whatsapp_delivery, whatsapp_inbound
from services.db import Database
from services.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Called when a status turns a message Meta had accepted into a failed one (row, Graph error code, title): the same
# policy as a send refused at once (a template instead, back off, mark undeliverable). Wired by the runtime.
OnFailed = Callable[[AsyncSession, OutboxMessage, int | None, str | None], Awaitable[object]]
# Meta's user ids of messages between `arrival` and `prepare`: a handful at a time; bounded, whatever happens.
KEEP_USER_IDS = 1024
# Meta may say a message failed before the worker has committed the id Meta gave it for that message (the status
# overtakes the worker's own write). Such a fresh `failed` for an unknown id is looked at again a little later: it
# is the one status that changes what happens next (a template instead, a retry), so it must not be lost.
EARLY_STATUS_FRESH = timedelta(minutes=2)
EARLY_STATUS_AGAIN = timedelta(seconds=2)


class WhatsAppAdapter:
    """The `InboundAdapter` of WhatsApp; Raw is the stored item dict."""

    channel = CHANNEL
    # What a person is told when a file is refused before download. Documents (100 MB) are what comes that big:
    # WhatsApp compresses photos far below their 5 MB, and `fetch` refuses a larger one before downloading too.
    max_download_mb = DOCUMENT_MB

    def __init__(
        self,
        client: WhatsAppClient,
        db: Database,
        sender: Sender,
        *,
        on_failed: OnFailed | None = None,
        send_timeout: float = DEFAULT_TIMEOUT,
        fetch_backoff: float = 0.5,
    ) -> None:
        self.client = client
        self.db = db
        self.sender = sender
        self.on_failed = on_failed
        self.send_timeout = send_timeout
        self.fetch = whatsapp_fetcher(client, backoff=fetch_backoff)
        self._user_ids: OrderedDict[str, str] = OrderedDict()

    # ---- arrival (pure: no network, no database) ----------------------------------------------------------
    def arrival(self, item: dict[str, Any]) -> Arrival:
        if item.get("kind") == STATUS:
            return self._status_arrival(item["status"])
        return self._message_arrival(item["message"], item.get("contact"))

    def _message_arrival(self, raw_message: dict[str, Any], raw_contact: dict[str, Any] | None) -> Arrival:
        # Read as the webhook's parser reads it: a malformed part costs that part, never the message.
        value = Value.model_validate({"messages": [raw_message], "contacts": [raw_contact] if raw_contact else []})
        message, contact = value.messages[0], (value.contacts[0] if value.contacts else None)
        update_id = message_update_id(raw_message)
        person = user_id_of(message, contact)
        incoming = to_incoming(message, contact)
        if incoming is None or person is None:
            log.warning("whatsapp message %s has no sender id: nobody to answer", update_id)
            return Arrival(update_id, f"nobody:{update_id}", None)
        if message.type == "reaction":
            # An emoji put on one of our messages (or taken off) is no question: answering each 👍 with "this
            # cannot be read" would be noise. It is claimed and logged; any other message is answered.
            log.info("whatsapp reaction from %s to %s", person, message.reaction and message.reaction.message_id)
            return Arrival(update_id, person, None)
        platform_user_id = (contact.user_id if contact is not None else None) or message.from_user_id
        if platform_user_id:
            self._user_ids[update_id] = platform_user_id
            while len(self._user_ids) > KEEP_USER_IDS:
                self._user_ids.popitem(last=False)
        return Arrival(update_id, person, replace(incoming, update_id=update_id))

    def _status_arrival(self, raw_status: dict[str, Any]) -> Arrival:
        status = Value.model_validate({"statuses": [raw_status]}).statuses[0]
        update = to_status(status)
        at = _timestamp(status.timestamp)
        # Stored and shown to the pendamping: whatever Meta wrote passes the redactor first.
        errors = tuple((code, redact(title) if title else None) for code, title in update.errors)

        async def effect(session: AsyncSession) -> None:
            recorded = await delivery_status.record_status(
                session, CHANNEL, update.message_id, update.status, at, errors
            )
            early = recorded.row is None and update.status == delivery_status.FAILED
            if early and utcnow() - at < EARLY_STATUS_FRESH:
                raise TryLater(f"failed status of {update.message_id} before its send was recorded", EARLY_STATUS_AGAIN)
            if recorded.newly_failed and self.on_failed is not None:
                await self.on_failed(session, recorded.row, recorded.code, recorded.title)

        return Arrival(status_update_id(raw_status), status_person(raw_status), None, effect=effect)

    # ---- before the conversation ---------------------------------------------------------------------------
    async def prepare(self, incoming: Incoming) -> Incoming:
        """With the database: the identity this sender is known by (and Meta's user id kept on it), and a typed
        number of the numbered menu on screen read as the button it stands for. Never raises: at worst the
        message goes on as it came."""
        platform_user_id = self._user_ids.get(incoming.update_id) if incoming.update_id else None
        try:
            async with self.db.unit_of_work() as session:
                user_id = await whatsapp_inbound.own_identity(session, incoming.user_id, platform_user_id)
                if user_id != incoming.user_id:
                    incoming = replace(incoming, user_id=user_id)
                # Their 24-hour window is open again: what waited for it goes now, not at the worker's next look.
                await whatsapp_delivery.window_opened(session, incoming.user_id)
                if incoming.kind == Kind.TEXT:
                    picked = await whatsapp_inbound.typed_choice(session, incoming.user_id, incoming.text)
                    if picked is not None:
                        incoming = pressed(incoming, *picked)
        except Exception:
            log.exception("whatsapp message %s: preparing failed; handled as it came", incoming.update_id)
        return incoming

    # ---- the rest of the protocol ---------------------------------------------------------------------------
    @staticmethod
    def too_large(item: MediaItem) -> bool:
        return item_too_large(item)

    async def acknowledge(self, token: str) -> None:
        """WhatsApp wants nothing acknowledged at once (no spinning button, unlike Telegram's callback queries)."""

    async def answered(self, incoming: Incoming) -> None:
        """The blue ticks: the person sees their message was taken. And Meta's user id kept on the identity the
        message may just have made (`DAFTAR <code>`). Niceties, never a failure."""
        if not incoming.update_id:
            return
        platform_user_id = self._user_ids.pop(incoming.update_id, None)
        if platform_user_id:
            try:
                async with self.db.unit_of_work() as session:
                    await whatsapp_inbound.own_identity(session, incoming.user_id, platform_user_id)
            except Exception:
                log.exception("whatsapp message %s: keeping Meta's user id failed", incoming.update_id)
        if incoming.update_id.startswith(SYNTHETIC):
            return
        try:
            await self.client.mark_read(incoming.update_id)
        except Exception as error:  # whatever went wrong, the answer already went out
            log.info("whatsapp mark read %s failed: %s", incoming.update_id, error)


def pressed(incoming: Incoming, token: int | None, choice: str) -> Incoming:
    """The `Incoming` a pressed button or list row would have been (incoming.to_incoming): same kind, id, version."""
    return Incoming(
        incoming.channel,
        incoming.user_id,
        Kind.CHOICE,
        choice=choice,
        token=token,
        display_name=incoming.display_name,
        update_id=incoming.update_id,
    )


def _timestamp(value: str | None) -> datetime:
    """Meta's seconds since the epoch; now when missing or unreadable (a status must still be recorded)."""
    if value and value.isdigit():
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return utcnow()
