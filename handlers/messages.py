"""The two values every channel speaks with the core: `Incoming` (what a person sent) and `Reply` (what to say).

They know nothing about Telegram or WhatsApp. A channel adapter turns a raw update into an `Incoming`, and
renders each `Reply` its own way (inline keyboard, WhatsApp buttons or list, numbered text).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from services.visible_text import visible, visible_name


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    CHOICE = "choice"
    MEDIA = "media"
    LOCATION = "location"
    # Stickers, voice notes, contacts…: things we cannot use; answered, never ignored.
    UNSUPPORTED = "unsupported"


class Expect(StrEnum):
    """What the current question wants, so a channel can show the right keyboard or hint."""

    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    MEDIA = "media"
    LOCATION = "location"
    NOTHING = "nothing"


@dataclass(frozen=True)
class MediaItem:
    kind: str  # "photo" | "document"
    # Channel-specific handle the adapter can fetch: a Telegram file_id, a WhatsApp media id, a local path.
    ref: str
    mime_type: str = "application/octet-stream"
    size: int | None = None
    file_name: str | None = None

    def __post_init__(self) -> None:
        # Shown to the reviewing pendamping: no name may disguise itself (see services/visible_text).
        object.__setattr__(self, "file_name", visible_name(self.file_name))


@dataclass(frozen=True)
class Incoming:
    channel: str
    user_id: str
    kind: Kind
    text: str = ""
    command: str | None = None  # without the slash, lower case: "start", "kk"
    args: str = ""
    choice: str | None = None
    # The conversation version the choice was offered under: a button from an old message has an old token.
    token: int | None = None
    media: tuple[MediaItem, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    display_name: str | None = None
    # The channel's own id for this delivery (Telegram's update_id). The engine claims it in the unit of work
    # that acts on it: a redelivery is recognised, and a crash before the commit leaves it to be handled again.
    update_id: str | None = None
    # For an album gathered by the channel: its buffered items (album_item ids), claimed the same way, so a crash
    # before the commit leaves the album waiting to be handled again instead of lost.
    album_items: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Every channel's text passes here: what one person typed is stored and shown to others without the
        # invisible characters that could disguise it (a bidi override reversing a name), whatever the channel.
        object.__setattr__(self, "text", visible(self.text))
        object.__setattr__(self, "args", visible(self.args))
        object.__setattr__(self, "display_name", visible_name(self.display_name))


MAX_CHOICE_ID_BYTES = 40  # with Telegram's "<version>:" in front it stays within callback data's 64 bytes


@dataclass(frozen=True)
class Choice:
    id: str  # short (≤ 40 bytes) so every channel can carry it back
    label: str

    def __post_init__(self) -> None:
        # Cut short by a channel, a choice would come back as something else: refuse it where it is made.
        if len(self.id.encode()) > MAX_CHOICE_ID_BYTES:
            raise ValueError(f"choice id over {MAX_CHOICE_ID_BYTES} bytes: {self.id!r}")


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    expect: Expect = Expect.NOTHING
    # Set by the engine: the conversation version these choices belong to.
    token: int | None = None
    # Media to show with the reply (a report's photos for the reviewing pendamping): stored paths relative to
    # MEDIA_DIR, with their kind.
    attachments: tuple[tuple[str, str], ...] = field(default=())
