"""The sweeper removes temporary and unreferenced files a day old, and nothing a row names or anything younger."""

import logging
import os
from datetime import timedelta
from pathlib import Path

from services.db import Database
from services.media import MediaStore, record_media
from services.media_sweep import sweep
from services.models import utcnow
from tests.images import jpeg

DAY = timedelta(days=1)


def aged(path: Path, age: timedelta) -> Path:
    when = (utcnow() - age).timestamp()
    os.utime(path, (when, when))
    return path


def make(path: Path, content: bytes = b"x" * 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


async def test_old_temporary_and_unreferenced_files_go_the_rest_stays(db: Database, tmp_path: Path, caplog) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        photo = await record_media(session, store, jpeg(11), kind="photo", uploaded_by_id=None, rt_id=None)
    kept_photo = aged(store.absolute(photo.path), 3 * DAY)
    kept_thumbnail = aged(store.root / store.thumbnail_path(photo.sha256), 3 * DAY)
    old_temporary = aged(make(store.root / "ab" / "cd" / ".tmp-0123abcd"), 2 * DAY)
    old_part = aged(make(store.root / "ab" / "cd" / f"{'cd' * 32}.jpg.0a1b2c3d4e5f.part", b"z"), 2 * DAY)
    old_orphan = aged(make(store.root / "ab" / "cd" / f"{'ab' * 32}.jpg", b"y" * 25), 2 * DAY)
    young_temporary = aged(make(store.root / "ab" / "cd" / ".tmp-fresh"), timedelta(hours=2))
    young_orphan = make(store.root / "ef" / "01" / f"{'ef' * 32}.png")
    not_ours = aged(make(store.root / "kampung_bahagia.db"), 5 * DAY)  # MEDIA_DIR set to DATA_DIR by mistake

    async with db.unit_of_work() as session:
        looked = await sweep(session, store, utcnow(), dry_run=True)
    assert looked.removed == sorted(str(p.relative_to(store.root)) for p in (old_temporary, old_orphan, old_part))
    assert old_temporary.exists() and old_orphan.exists()  # a dry run only lists

    with caplog.at_level(logging.INFO, logger="services.media_sweep"):
        async with db.unit_of_work() as session:
            result = await sweep(session, store, utcnow())
    assert result.removed == looked.removed and result.bytes == 10 + 25 + 1
    assert not old_temporary.exists() and not old_orphan.exists() and not old_part.exists()
    for path in (kept_photo, kept_thumbnail, young_temporary, young_orphan, not_ours):
        assert path.exists()
    assert "removed 3 files, 36 bytes" in caplog.text and ".tmp-0123abcd" in caplog.text


async def test_a_missing_media_folder_is_nothing_to_sweep(db: Database, tmp_path: Path) -> None:
    async with db.unit_of_work() as session:
        result = await sweep(session, MediaStore(tmp_path / "none"), utcnow())
    assert result.removed == [] and result.bytes == 0
