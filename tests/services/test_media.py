"""Evidence files: stored once by content, and a file already sent for another RT flagged as possible reuse."""

from pathlib import Path

from sqlalchemy import select

from services.db import Database
from services.media import MediaStore, record_media
from services.models import RT
from services.program import Program
from tests.handlers.conftest import load_roster

PHOTO = b"\xff\xd8\xff\xe0" + b"the same rembuk warga photo" * 40


async def test_a_photo_already_sent_for_another_rt_is_flagged(db: Database, program: Program, tmp_path: Path) -> None:
    await load_roster(db, program)
    store = MediaStore(tmp_path)
    async with db.unit_of_work() as session:
        first_rt, second_rt = list(await session.scalars(select(RT).order_by(RT.id).limit(2)))
        original = await record_media(
            session, store, PHOTO, kind="photo", mime_type="image/jpeg", uploaded_by_id=None, rt_id=first_rt.id
        )
        again_same_rt = await record_media(
            session, store, PHOTO, kind="photo", mime_type="image/jpeg", uploaded_by_id=None, rt_id=first_rt.id
        )
        other_rt = await record_media(
            session, store, PHOTO, kind="photo", mime_type="image/jpeg", uploaded_by_id=None, rt_id=second_rt.id
        )
    assert original.reuse_of_media_id is None
    assert again_same_rt.reuse_of_media_id is None  # the same RT sending its own photo again is no reuse
    assert other_rt.reuse_of_media_id == original.id
    assert original.path == other_rt.path and len(list(tmp_path.rglob("*.jpg"))) == 1  # stored once
