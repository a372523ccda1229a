"""A webhook message (with its sender's contact) as the core's `Incoming`; a status as a `StatusUpdate`.

Pure, no network, table-tested against real payload JSON. Whatever arrives is answered: a type we cannot use
(sticker, voice note, video, reaction, a shared contact, `unsupported`, a type Meta adds later) becomes UNSUPPORTED.
"""

from dataclasses import dataclass, replace

from bot.channels.whatsapp.payload import Contact, Media, Message, Status
from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem
from services import numbers

CHANNEL = "whatsapp"
# WhatsApp answers compressed photos as `image`; anything sent "as a file" is a `document` (PDF, full-size JPEG).
_MEDIA_KINDS = {"image": "photo", "document": "document"}
_DEFAULT_MIME = {"image": "image/jpeg", "document": "application/octet-stream"}


def user_id_of(message: Message, contact: Contact | None) -> str | None:
    """The phone number (wa_id) where present, else Meta's business-scoped user id: what identifies the person."""
    if contact is not None and contact.wa_id:
        return contact.wa_id
    if message.from_:
        return message.from_
    if contact is not None and contact.user_id:
        return contact.user_id
    return message.from_user_id or None


def display_name_of(contact: Contact | None) -> str | None:
    return contact.profile.name if contact is not None and contact.profile is not None else None


def choice_of(reply_id: str) -> tuple[int | None, str]:
    """`"<token>:<choice>"` as written by the renderer; token 0 means "no conversation version".

    The same reading as Telegram's `parse_callback_data` (mirrored, not imported, so this channel does not load
    aiogram): once part 1 of issue 11 gives the channels a common module, both should use one function.
    """
    head, sep, choice = reply_id.partition(":")
    if sep and (token := numbers.whole_number(head, maximum=numbers.MAX_ID)) is not None:
        return (token or None), choice
    return None, reply_id


def media_item(kind: str, media: Media) -> MediaItem:
    return MediaItem(
        kind=_MEDIA_KINDS[kind],
        ref=media.id,
        mime_type=media.mime_type or _DEFAULT_MIME[kind],
        size=media.file_size,
        file_name=media.filename,
    )


def _pressed(message: Message) -> str | None:
    """The id behind a pressed reply button, list row or template quick-reply button, if this is one."""
    interactive = message.interactive
    if message.type == "interactive" and interactive is not None:
        if interactive.button_reply is not None:
            return interactive.button_reply.id
        if interactive.list_reply is not None:
            return interactive.list_reply.id
    if message.type == "button" and message.button is not None:
        return message.button.payload or message.button.text
    return None


def _message_incoming(message: Message, user_id: str, name: str | None) -> Incoming:
    if message.type == "text" and message.text is not None:
        return text_incoming(CHANNEL, user_id, message.text.body, name)
    if (pressed := _pressed(message)) is not None:
        token, choice = choice_of(pressed)
        return Incoming(CHANNEL, user_id, Kind.CHOICE, choice=choice, token=token, display_name=name)
    media = getattr(message, message.type, None) if message.type in _MEDIA_KINDS else None
    if isinstance(media, Media) and media.id:
        item = media_item(message.type, media)
        return Incoming(CHANNEL, user_id, Kind.MEDIA, text=media.caption or "", media=(item,), display_name=name)
    location = message.location
    if message.type == "location" and location is not None and None not in (location.latitude, location.longitude):
        return Incoming(
            CHANNEL,
            user_id,
            Kind.LOCATION,
            latitude=location.latitude,
            longitude=location.longitude,
            display_name=name,
        )
    return Incoming(CHANNEL, user_id, Kind.UNSUPPORTED, display_name=name)


def to_incoming(message: Message, contact: Contact | None) -> Incoming | None:
    """The `Incoming` for one webhook message; None only when nobody can be answered (no sender id at all)."""
    user_id = user_id_of(message, contact)
    if user_id is None:
        return None
    incoming = _message_incoming(message, user_id, display_name_of(contact))
    # The wamid is Meta's delivery id: a redelivery of the same message is recognised by it.
    return replace(incoming, update_id=message.id or None)


@dataclass(frozen=True)
class StatusUpdate:
    """What Meta tells later about a message we sent: it reached the phone, was read, or failed (and why)."""

    message_id: str
    status: str  # sent | delivered | read | failed
    recipient: str | None
    errors: tuple[tuple[int | None, str | None], ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def to_status(status: Status) -> StatusUpdate:
    return StatusUpdate(
        message_id=status.id,
        status=status.status,
        recipient=status.recipient_id or status.recipient_user_id,
        errors=tuple((error.code, error.title or error.message) for error in status.errors),
    )
