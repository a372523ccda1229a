"""Media files under MEDIA_DIR, named by content hash, with their record in the `media` table."""

import hashlib
import mimetypes
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.exif import read_exif
from services.models import Media


@dataclass(frozen=True)
class MediaStore:
    root: Path

    def path_for(self, sha256: str, mime_type: str) -> Path:
        extension = mimetypes.guess_extension(mime_type) or ".bin"
        # Two levels of folders keep any one folder small with tens of thousands of photos.
        return Path(sha256[:2]) / sha256[2:4] / f"{sha256}{extension}"

    def write(self, content: bytes, mime_type: str) -> tuple[str, str]:
        """Write the bytes once (same content, same file); returns (sha256, relative path)."""
        sha256 = hashlib.sha256(content).hexdigest()
        relative = self.path_for(sha256, mime_type)
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # A name of its own: two workers storing the same photo at once must not share (and move) one file.
            temporary = target.with_name(f"{target.name}.{secrets.token_hex(6)}.part")
            temporary.write_bytes(content)
            temporary.replace(target)  # atomic: a crash never leaves half a photo under the final name
        return sha256, str(relative)

    def absolute(self, relative: str) -> Path:
        return self.root / relative


@dataclass(frozen=True)
class Evidence:
    """One file a person attached (a stage photo, a proof of transfer, a receipt), fetched only on confirmation."""

    kind: str  # photo | document
    mime_type: str
    content: bytes
    channel_file_id: str | None = None
    original_name: str | None = None


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
        mime_type=evidence.mime_type,
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
    mime_type: str,
    uploaded_by_id: int | None,
    rt_id: int | None,
    stage_key: str | None = None,
    channel_file_id: str | None = None,
    original_name: str | None = None,
) -> Media:
    sha256, relative = store.write(content, mime_type)
    reuse = None
    if rt_id is not None:
        reuse = await session.scalar(
            select(Media.id).where(Media.sha256 == sha256, Media.rt_id != rt_id).order_by(Media.id).limit(1)
        )
    media = Media(
        sha256=sha256,
        path=relative,
        size=len(content),
        mime_type=mime_type,
        kind=kind,
        uploaded_by_id=uploaded_by_id,
        rt_id=rt_id,
        stage_key=stage_key,
        channel_file_id=channel_file_id,
        original_name=original_name,
        reuse_of_media_id=reuse,
    )
    if mime_type == "image/jpeg":
        facts = read_exif(content)
        media.exif_taken_at, media.exif_latitude, media.exif_longitude = facts.taken_at, facts.latitude, facts.longitude
    session.add(media)
    await session.flush()
    return media
