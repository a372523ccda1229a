"""The simulator channel: the dashboard's chat box, talking to the same conversation core as Telegram and WhatsApp
as a training person (services/training.py).

What the browser posts becomes an `Incoming` like any channel's: typed text (commands included), a pressed button
(the choice id with the question's version, as Telegram's callback data carries it), or uploaded files. Each form
carries a one-time id that becomes the update id, so a form posted twice (a double click, a browser resending)
is handled once, like a redelivered webhook.

Uploaded files are kept like a platform keeps them: the flows hold only a reference and fetch the bytes when the
person presses Send (maybe several messages later), so the bytes wait in `DATA_DIR/simulator/<identity>/`,
named by their hash, until the training is reset. A reference is checked against that folder's name pattern
before it is read: it comes from conversation data, but a path is never built from anything unchecked.
"""

import asyncio
import hashlib
import re
import secrets
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from handlers.context import MediaTooLarge, MediaUnavailable
from handlers.engine import Engine
from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem, Reply
from services.private_paths import private_dir
from services.reports import MAX_FILE_BYTES
from services.training import CHANNEL

_NONCE = re.compile(r"[A-Za-z0-9_-]{8,32}")
_REF = re.compile(r"sim:([0-9a-f]{64})")
TOO_LARGE = "too-large"


def new_nonce() -> str:
    """The one-time id a form carries (see the module's docstring)."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: its name and claimed type (the bytes decide, services/filecheck.py)."""

    name: str
    mime_type: str
    data: bytes | None  # None: larger than a flow would take (MAX_FILE_BYTES), not kept
    size: int


async def read_upload(file, name: str, mime_type: str | None) -> Upload:
    """At most MAX_FILE_BYTES + 1 bytes of an uploaded file (starlette's UploadFile)."""
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return Upload(name, mime_type or "application/octet-stream", None, len(data))
    return Upload(name, mime_type or "application/octet-stream", data, len(data))


class SimulatorChannel:
    def __init__(self, engine: Engine, user_id: str, data_dir: Path) -> None:
        self.engine = engine
        self.user_id = user_id
        # The identity "12:ketua_rt" as a folder name: digits, a dash and a role word.
        self.folder = Path(data_dir) / "simulator" / user_id.replace(":", "-")

    def _update_id(self, nonce: str | None) -> str:
        if not nonce or not _NONCE.fullmatch(nonce):
            nonce = new_nonce()  # an old page without one: handled, without the double-post guard
        return f"{self.user_id}:{nonce}"

    def text(self, text: str, nonce: str | None) -> Incoming | None:
        if not text.strip():
            return None
        return replace(text_incoming(CHANNEL, self.user_id, text), update_id=self._update_id(nonce))

    def choice(self, choice_id: str, token: int | None, nonce: str | None) -> Incoming:
        return Incoming(
            CHANNEL, self.user_id, Kind.CHOICE, choice=choice_id, token=token, update_id=self._update_id(nonce)
        )

    async def media(self, uploads: list[Upload], nonce: str | None) -> Incoming | None:
        items = [await self._keep(upload) for upload in uploads if upload.size > 0 or upload.name]
        if not items:
            return None
        return Incoming(CHANNEL, self.user_id, Kind.MEDIA, media=tuple(items), update_id=self._update_id(nonce))

    async def _keep(self, upload: Upload) -> MediaItem:
        # A PDF goes as a document, anything else as a photo (what Telegram's photo button sends); the flows then
        # check the bytes, as for every channel.
        kind = "document" if (upload.data or b"").startswith(b"%PDF-") else "photo"
        if upload.data is None:
            return MediaItem(kind, f"sim:{TOO_LARGE}", upload.mime_type, upload.size, upload.name)
        digest = hashlib.sha256(upload.data).hexdigest()
        await asyncio.to_thread(self._write, digest, upload.data)
        return MediaItem(kind, f"sim:{digest}", upload.mime_type, upload.size, upload.name)

    def _write(self, digest: str, data: bytes) -> None:
        path = private_dir(self.folder) / digest
        if not path.exists():
            partial = path.with_suffix(".tmp")
            partial.write_bytes(data)
            partial.chmod(0o600)
            partial.replace(path)

    async def fetch(self, item: MediaItem) -> bytes:
        if item.ref == f"sim:{TOO_LARGE}":
            raise MediaTooLarge()
        found = _REF.fullmatch(item.ref)
        if found is None:
            raise MediaUnavailable("not a simulator upload")
        try:
            return await asyncio.to_thread((self.folder / found.group(1)).read_bytes)
        except FileNotFoundError as missing:
            raise MediaUnavailable("the upload is gone (the training was reset)") from missing

    async def send(self, incoming: Incoming) -> list[Reply]:
        """The core's replies; none for a form already handled."""
        return await self.engine.handle(incoming, self.fetch)

    def forget_uploads(self) -> None:
        """Delete the kept uploads (the training was reset)."""
        shutil.rmtree(self.folder, ignore_errors=True)
