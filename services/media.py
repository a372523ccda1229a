"""Media files under MEDIA_DIR, named by content hash, with their record in the `media` table.

A file's type is decided from its bytes (services/filecheck.py); its name on disk takes the extension of that
type, never anything the sender claimed. Only the service's own user may read the folder: folders 0700, files 0600.
A photo gets a JPEG thumbnail at `thumbs/<aa>/<bb>/<sha256>.jpg`, derived from the media row's sha256 alone.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.assignments import real_rt
from services.filecheck import CheckedFile, check_file
from services.models import RT, Media
from services.pending_files import publish_on_commit, temporary_name
from services.private_paths import FILE_MODE, private_dir

THUMBS = "thumbs"


@dataclass(frozen=True)
class MediaStore:
    root: Path

    def path_for(self, sha256: str, extension: str) -> Path:
        # Two levels of folders keep any one folder small with tens of thousands of photos.
        return Path(sha256[:2]) / sha256[2:4] / f"{sha256}{extension}"

    def thumbnail_path(self, sha256: str) -> Path:
        """Where the thumbnail of a photo with this content is (relative to root); it exists for photos only."""
        return Path(THUMBS) / self.path_for(sha256, ".jpg")

    def thumbnail_of(self, media: Media) -> Path | None:
        """The thumbnail of a stored photo (long side 320 px, JPEG), or None for a PDF (or a photo stored before)."""
        path = self.absolute(str(self.thumbnail_path(media.sha256)))
        return path if path.is_file() else None

    def write(self, session: AsyncSession, content: bytes, extension: str) -> tuple[str, str]:
        """Write the bytes once (same content, same file), visible when `session` commits; (sha256, relative path)."""
        sha256 = hashlib.sha256(content).hexdigest()
        relative = self.path_for(sha256, extension)
        self._write_once(session, relative, content)
        return sha256, str(relative)

    def write_thumbnail(self, session: AsyncSession, sha256: str, content: bytes) -> str:
        relative = self.thumbnail_path(sha256)
        self._write_once(session, relative, content)
        return str(relative)

    def absolute(self, relative: str) -> Path:
        path = self.root / relative
        # Paths come from our own rows, but a row is data: it never leads outside MEDIA_DIR.
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(f"media path outside the media folder: {relative!r}")
        return path

    def _write_once(self, session: AsyncSession, relative: Path, content: bytes) -> None:
        target = self.root / relative
        if target.exists():
            # Fresh again: the sweeper removes only files untouched for a day, and a new row is about to name it.
            os.utime(target)
            return
        private_dir(target.parent)
        temporary = temporary_name(target)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        # Renamed into place when the row commits, deleted if it does not: services/pending_files.py.
        publish_on_commit(session, temporary, target)


@dataclass(frozen=True)
class Evidence:
    """One file a person attached (a stage photo, a proof of transfer, a receipt), fetched only on confirmation."""

    kind: str  # photo | document
    mime_type: str
    content: bytes
    channel_file_id: str | None = None
    original_name: str | None = None
    # What the content really is, when the flow already checked it (to tell the person); checked again otherwise.
    checked: CheckedFile | None = None


async def record_evidence(
    session: AsyncSession,
    store: MediaStore,
    evidence: Evidence,
    *,
    uploaded_by_id: int,
    rt_id: int,
    stage_key: str | None,
    report_id: int | None = None,
) -> Media:
    media = await record_media(
        session,
        store,
        evidence.content,
        kind=evidence.kind,
        checked=evidence.checked,
        uploaded_by_id=uploaded_by_id,
        rt_id=rt_id,
        stage_key=stage_key,
        channel_file_id=evidence.channel_file_id,
        original_name=evidence.original_name,
    )
    media.report_id = report_id
    return media


async def record_media(
    session: AsyncSession,
    store: MediaStore,
    content: bytes,
    *,
    kind: str,
    uploaded_by_id: int | None,
    rt_id: int | None,
    stage_key: str | None = None,
    channel_file_id: str | None = None,
    original_name: str | None = None,
    checked: CheckedFile | None = None,
) -> Media:
    """Store a photo or PDF and its row. Raises FileRefused (a ProblemError) when the bytes are neither."""
    checked = checked or check_file(content, kind)
    sha256, relative = store.write(session, content, checked.extension)
    if checked.thumbnail is not None:
        store.write_thumbnail(session, sha256, checked.thumbnail)
    reuse = None
    if rt_id is not None:
        # A training RT's photo (the simulator) is no real RT's: a real report is never flagged for it.
        reuse = await session.scalar(
            select(Media.id)
            .join(RT, RT.id == Media.rt_id)
            .where(Media.sha256 == sha256, Media.rt_id != rt_id, real_rt())
            .order_by(Media.id)
            .limit(1)
        )
    media = Media(
        sha256=sha256,
        path=relative,
        size=len(content),
        mime_type=checked.mime_type,
        kind=kind,
        uploaded_by_id=uploaded_by_id,
        rt_id=rt_id,
        stage_key=stage_key,
        channel_file_id=channel_file_id,
        original_name=original_name,
        reuse_of_media_id=reuse,
    )
    facts = checked.exif
    media.exif_taken_at, media.exif_latitude, media.exif_longitude = facts.taken_at, facts.latitude, facts.longitude
    session.add(media)
    await session.flush()
    return media
