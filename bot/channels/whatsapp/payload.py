"""Pydantic (v2) models of the Cloud API webhook payload that accept whatever Meta adds.

Every model allows unknown fields and nearly every field is optional: Meta adds fields and message types without
notice, and a payload we cannot parse would be a message lost without a word. A message type we do not know keeps
its `type` and its content (as an extra field) and is answered as unsupported, never dropped.
"""

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorData(Loose):
    details: str | None = None


class Error(Loose):
    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None
    href: str | None = None


class Metadata(Loose):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class Profile(Loose):
    name: str | None = None


class Contact(Loose):
    # The phone number; absent for people who use a WhatsApp username (since 2026).
    wa_id: str | None = None
    # Meta's business-scoped user id, present for everyone since 2026.
    user_id: str | None = None
    profile: Profile | None = None


class Text(Loose):
    body: str = ""


class ButtonReply(Loose):
    id: str = ""
    title: str | None = None


class ListReply(Loose):
    id: str = ""
    title: str | None = None
    description: str | None = None


class Interactive(Loose):
    type: str | None = None
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None


class Button(Loose):
    """A template's quick-reply button pressed: `payload` is what we set when sending the template."""

    payload: str | None = None
    text: str | None = None


class Media(Loose):
    """image, document, sticker, audio, video: the media id to fetch, and what Meta tells of the file."""

    id: str = ""
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    # Not always sent; when it is, an oversized file is refused before download.
    file_size: int | None = None


class Location(Loose):
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class Reaction(Loose):
    message_id: str | None = None
    emoji: str | None = None


class MessageContext(Loose):
    """Set when the message answers or forwards another one."""

    from_: str | None = Field(default=None, alias="from")
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class Message(Loose):
    id: str = ""
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    timestamp: str | None = None
    type: str = "unknown"
    text: Text | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    image: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    location: Location | None = None
    contacts: list[dict[str, Any]] | None = None
    reaction: Reaction | None = None
    errors: list[Error] = []
    context: MessageContext | None = None


class Status(Loose):
    id: str = ""
    status: str = ""  # sent | delivered | read | failed (others may come: kept as given)
    timestamp: str | None = None
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    errors: list[Error] = []


def _salvage(model: type[Loose], raw: Any, keep: tuple[str, ...]) -> Any:
    """The item as `model`; when part of it is malformed, the item with only its plain identifying fields.

    One odd field (a `text` that is not an object, a misspelt size) must not cost the message, or the other
    messages of the same POST: the salvaged message keeps its id, sender and type and is answered as unsupported.
    """
    if not isinstance(raw, dict):
        return raw  # not an item at all: let validation refuse the payload
    try:
        return model.model_validate(raw)
    except ValidationError:
        return model.model_validate({key: raw[key] for key in keep if isinstance(raw.get(key), str)})


class Value(Loose):
    messaging_product: str | None = None
    metadata: Metadata | None = None
    contacts: list[Contact] = []
    messages: list[Message] = []
    statuses: list[Status] = []
    errors: list[Error] = []

    @field_validator("contacts", mode="before")
    @classmethod
    def _contacts(cls, items: Any) -> Any:
        return [_salvage(Contact, item, ("wa_id", "user_id")) for item in items] if isinstance(items, list) else items

    @field_validator("messages", mode="before")
    @classmethod
    def _messages(cls, items: Any) -> Any:
        keep = ("id", "from", "from_user_id", "timestamp", "type")
        return [_salvage(Message, item, keep) for item in items] if isinstance(items, list) else items

    @field_validator("statuses", mode="before")
    @classmethod
    def _statuses(cls, items: Any) -> Any:
        keep = ("id", "status", "timestamp", "recipient_id", "recipient_user_id")
        return [_salvage(Status, item, keep) for item in items] if isinstance(items, list) else items


class Change(Loose):
    field: str | None = None
    value: Value = Value()


class Entry(Loose):
    id: str | None = None
    changes: list[Change] = []


class WebhookPayload(Loose):
    object: str | None = None
    entry: list[Entry] = []


def parse(body: bytes | str | dict) -> WebhookPayload:
    """The payload of one webhook POST; raises pydantic's ValidationError for what is not such a payload."""
    if isinstance(body, dict):
        return WebhookPayload.model_validate(body)
    return WebhookPayload.model_validate_json(body)


def contact_for(message: Message, contacts: list[Contact]) -> Contact | None:
    """The contact entry of the person who sent this message (by phone number, else by business-scoped id)."""
    for contact in contacts:
        if message.from_ and contact.wa_id == message.from_:
            return contact
        if message.from_user_id and contact.user_id == message.from_user_id:
            return contact
    # One sender per change is the norm: its single contact is the sender even if the ids are spelled differently.
    return contacts[0] if len(contacts) == 1 else None


def messages(payload: WebhookPayload) -> Iterator[tuple[Message, Contact | None]]:
    """Every message of the payload with its sender's contact, in the order Meta sent them."""
    for entry in payload.entry:
        for change in entry.changes:
            for message in change.value.messages:
                yield message, contact_for(message, change.value.contacts)


def statuses(payload: WebhookPayload) -> Iterator[Status]:
    for entry in payload.entry:
        for change in entry.changes:
            yield from change.value.statuses
