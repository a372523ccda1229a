"""The media sweeper: removes files under MEDIA_DIR that no database row names, once they are a day old.

What it finds: `.tmp-` files a crash left between writing and committing (services/pending_files.py), files of
rows deleted since, and the `.part` files of older versions. A day's wait keeps it clear of work in progress: a
file being written is minutes old, and a file a new row is about to name again has its time refreshed
(`MediaStore._write_once`).
"""

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.media import MediaStore
from services.models import Media

log = logging.getLogger(__name__)

OLDER_THAN = timedelta(days=1)
# Only what MediaStore itself writes is ever a candidate: `aa/bb/<sha256>.<ext>` (under `thumbs/` too), its `.tmp-`
# files and older versions' `.part` files. Anything else in the folder (a MEDIA_DIR set to DATA_DIR by mistake,
# holding the database) is not ours to remove.
_OURS = re.compile(
    r"(thumbs/)?[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64}\.[a-z0-9]+|\.tmp-[0-9a-z-]+|[0-9a-f]{64}\.[a-z0-9]+\.[0-9a-f]+\.part)"
)


@dataclass
class SweepResult:
    removed: list[str] = field(default_factory=list)  # relative paths
    bytes: int = 0
    dry_run: bool = False


async def referenced_files(session: AsyncSession, store: MediaStore) -> set[str]:
    """Every file a row names (relative to MEDIA_DIR), with the thumbnails of photos."""
    found: set[str] = set()
    for path, sha256 in await session.execute(select(Media.path, Media.sha256)):
        found.add(str(Path(path)))
        found.add(str(store.thumbnail_path(sha256)))
    return found


async def sweep(
    session: AsyncSession,
    store: MediaStore,
    now: datetime,
    *,
    older_than: timedelta = OLDER_THAN,
    dry_run: bool = False,
) -> SweepResult:
    result = SweepResult(dry_run=dry_run)
    if not store.root.is_dir():
        return result
    keep = await referenced_files(session, store)
    cutoff = (now - older_than).timestamp()
    for folder, _dirs, files in os.walk(store.root):
        for name in files:
            path = Path(folder) / name
            relative = str(path.relative_to(store.root))
            if relative in keep or not _OURS.fullmatch(relative.replace(os.sep, "/")):
                continue
            try:
                facts = path.stat()
                if facts.st_mtime > cutoff:
                    continue
                if not dry_run:
                    path.unlink()
            except FileNotFoundError:  # another sweeper, or a rollback, removed it first
                continue
            result.removed.append(relative)
            result.bytes += facts.st_size
    result.removed.sort()
    verb = "would remove" if dry_run else "removed"
    log.info("media sweep %s %d files, %d bytes: %s", verb, len(result.removed), result.bytes, result.removed)
    return result
