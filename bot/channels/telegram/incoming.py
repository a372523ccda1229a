"""A Telegram `Update` as the core's `Incoming`: pure, no network, table-tested against real update JSON."""

from dataclasses import replace

from aiogram.types import CallbackQuery, Message, Update

from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem
from services import numbers

CHANNEL = "telegram"


def display_name(user) -> str | None:
    if user is None:
        return None
    return " ".join(part for part in (user.first_name, user.last_name) if part) or user.username


def parse_callback_data(data: str) -> tuple[int | None, str]:
    """`"<token>:<choice>"` as written by the renderer; token 0 means "no conversation version"."""
    head, sep, choice = data.partition(":")
    if sep and (token := numbers.whole_number(head, maximum=numbers.MAX_ID)) is not None:
        return (token or None), choice
    return None, data


def media_of(message: Message) -> MediaItem | None:
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return MediaItem(kind="photo", ref=largest.file_id, mime_type="image/jpeg", size=largest.file_size)
    if message.document:
        document = message.document
        return MediaItem(
            kind="document",
            ref=document.file_id,
            mime_type=document.mime_type or "application/octet-stream",
            size=document.file_size,
            file_name=document.file_name,
        )
    return None


def message_incoming(message: Message) -> Incoming | None:
    if message.chat.type != "private":
        return None  # the bot serves people one to one; a group must never drive someone's conversation
    user_id = str(message.chat.id)
    name = display_name(message.from_user)
    if message.text is not None:
        return text_incoming(CHANNEL, user_id, message.text, name)
    media = media_of(message)
    if media is not None:
        return Incoming(CHANNEL, user_id, Kind.MEDIA, text=message.caption or "", media=(media,), display_name=name)
    if message.location is not None:
        return Incoming(
            CHANNEL,
            user_id,
            Kind.LOCATION,
            latitude=message.location.latitude,
            longitude=message.location.longitude,
            display_name=name,
        )
    return Incoming(CHANNEL, user_id, Kind.UNSUPPORTED, display_name=name)


def callback_incoming(query: CallbackQuery) -> Incoming | None:
    if query.data is None:
        return None
    if query.message is not None and query.message.chat.type != "private":
        return None
    token, choice = parse_callback_data(query.data)
    return Incoming(
        CHANNEL,
        str(query.from_user.id),
        Kind.CHOICE,
        choice=choice,
        token=token,
        display_name=display_name(query.from_user),
    )


def to_incoming(update: Update) -> Incoming | None:
    """The `Incoming` for this update, or None for updates that carry nothing to answer (edits, joins…)."""
    if update.message is not None:
        incoming = message_incoming(update.message)
    elif update.callback_query is not None:
        incoming = callback_incoming(update.callback_query)
    else:
        return None
    return replace(incoming, update_id=str(update.update_id)) if incoming is not None else None


def album_id(update: Update) -> str | None:
    """The media group of a photo or document that belongs to an album, to be gathered before handling."""
    message = update.message
    if message is None or message.media_group_id is None or media_of(message) is None:
        return None
    return message.media_group_id
