"""One webhook POST → the items stored one row each (`inbound_update`), before the 200 goes back.

A POST may carry several messages and statuses, of several people. Each becomes a `StoredItem`: its own update id
(unique per channel, so Meta's redelivery of the same message is one row), the person whose line it waits in, and a
JSON item that `WhatsAppAdapter.arrival` reads later, after a restart if need be. The item keeps the raw dicts as
Meta sent them (unknown fields included): what we cannot read today is still there to read after an upgrade.

    {"kind": "message", "message": {...}, "contact": {...} | None}
    {"kind": "status", "status": {...}}

Nothing is dropped without a word: a message without an id gets one made from its content (a redelivery makes the
same one), and what cannot be kept at all (no sender, a status without a message id) is logged.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp.incoming import user_id_of
from bot.channels.whatsapp.payload import Contact, Message, Status, WebhookPayload, contact_for

log = logging.getLogger(__name__)

MESSAGE, STATUS = "message", "status"
SYNTHETIC = "synthetic:"


@dataclass(frozen=True)
class StoredItem:
    update_id: str  # the wamid; `status:<wamid>:<status>` for a status; `synthetic:<hash>` for a message without id
    person: str  # the sender (wa_id, else Meta's user id) of a message; the recipient of a status
    item: dict[str, Any]  # JSON-serialisable; exactly what the adapter's `arrival()` receives


def raw(model: Message | Status | Contact) -> dict[str, Any]:
    """The dict as Meta sent it: the names Meta uses (`from`), the fields we do not model kept as they came."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def message_update_id(message: dict[str, Any]) -> str:
    """The wamid; for a message without one, a hash of its content, so a redelivery is still recognised."""
    wamid = message.get("id")
    if isinstance(wamid, str) and wamid:
        return wamid
    digest = hashlib.sha256(json.dumps(message, sort_keys=True, default=str).encode()).hexdigest()
    return SYNTHETIC + digest[:40]


def status_update_id(status: dict[str, Any]) -> str:
    # sent, delivered, read and failed of one message are four updates, each handled once.
    return f"status:{status.get('id')}:{status.get('status')}"


def status_person(status: dict[str, Any]) -> str:
    recipient = status.get("recipient_id") or status.get("recipient_user_id")
    return str(recipient) if recipient else f"status:{status.get('id')}"


def update_id_of(item: dict[str, Any]) -> str:
    """The update id of a stored item: the same one `split` stored it under."""
    if item.get("kind") == STATUS:
        return status_update_id(item["status"])
    return message_update_id(item["message"])


def split(payload: WebhookPayload) -> list[StoredItem]:
    """Every message and status of one POST, in the order Meta sent them."""
    items: list[StoredItem] = []
    for entry in payload.entry:
        for change in entry.changes:
            value = change.value
            for error in value.errors:  # an error about the whole webhook (no message to attach it to)
                log.warning("whatsapp webhook error %s: %s", error.code, error.title or error.message)
            for message in value.messages:
                if (stored := _message_item(message, contact_for(message, value.contacts))) is not None:
                    items.append(stored)
            for status in value.statuses:
                if (stored := _status_item(status)) is not None:
                    items.append(stored)
    return items


def _message_item(message: Message, contact: Contact | None) -> StoredItem | None:
    person = user_id_of(message, contact)
    body = raw(message)
    if person is None:
        # Nobody to answer and nobody to key it on: the operator hears of it, with what it was.
        log.warning("whatsapp message %s of type %s has no sender id; not kept", message.id or "?", message.type)
        return None
    update_id = message_update_id(body)
    if update_id.startswith(SYNTHETIC):
        log.warning("whatsapp message of type %s from %s has no id; kept as %s", message.type, person, update_id)
    item = {"kind": MESSAGE, "message": body, "contact": raw(contact) if contact is not None else None}
    return StoredItem(update_id, person, item)


def _status_item(status: Status) -> StoredItem | None:
    body = raw(status)
    if not status.id:
        # Without the message id no outbox row can be found: nothing to record, but never silently.
        person = status_person(body)
        log.warning("whatsapp status %r without a message id (recipient %s); not kept", status.status, person)
        return None
    return StoredItem(status_update_id(body), status_person(body), {"kind": STATUS, "status": body})
