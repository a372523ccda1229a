"""Evidence files: stored once by content under the detected type, owner-only, with a thumbnail; a file already
sent for another RT flagged as possible reuse."""

import io
import os
import stat
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from services.db import Database
from services.filecheck import FileRefused
from services.media import MediaStore, record_media
from services.models import RT
from services.program import Program
from tests.handlers.conftest import load_roster
from tests.images import jpeg, pdf, png

PHOTO = jpeg(40)


async def test_a_photo_already_sent_for_another_rt_is_flagged(db: Database, program: Program, tmp_path: Path) -> None:
    await load_roster(db, program)
    store = MediaStore(tmp_path)
    async with db.unit_of_work() as session:
        first_rt, second_rt = list(await session.scalars(select(RT).order_by(RT.id).limit(2)))
        original = await record_media(session, store, PHOTO, kind="photo", uploaded_by_id=None, rt_id=first_rt.id)
        again_same_rt = await record_media(session, store, PHOTO, kind="photo", uploaded_by_id=None, rt_id=first_rt.id)
        other_rt = await record_media(session, store, PHOTO, kind="photo", uploaded_by_id=None, rt_id=second_rt.id)
    assert original.reuse_of_media_id is None
    assert again_same_rt.reuse_of_media_id is None  # the same RT sending its own photo again is no reuse
    assert other_rt.reuse_of_media_id == original.id
    stored = [p for p in tmp_path.rglob("*.jpg") if "thumbs" not in p.parts]
    assert original.path == other_rt.path and len(stored) == 1  # stored once


async def test_the_stored_type_is_the_detected_one_whatever_was_claimed(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    async with db.unit_of_work() as session:
        # A PNG sent as a document named .jpg: stored as the PNG it is.
        media = await record_media(
            session, store, png(3), kind="document", uploaded_by_id=None, rt_id=None, original_name="nota.jpg"
        )
        paper = await record_media(session, store, pdf(), kind="document", uploaded_by_id=None, rt_id=None)
    assert (media.mime_type, Path(media.path).suffix) == ("image/png", ".png")
    assert (paper.mime_type, Path(paper.path).suffix) == ("application/pdf", ".pdf")
    assert store.absolute(media.path).read_bytes() == png(3)


async def test_content_that_is_no_photo_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        with pytest.raises(FileRefused) as refused:
            await record_media(session, store, b"#!/bin/sh\nrm -rf /\n", kind="photo", uploaded_by_id=None, rt_id=None)
    assert refused.value.code == "not_an_image"
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


async def test_a_photo_gets_a_thumbnail_of_320_pixels_turned_upright(db: Database, tmp_path: Path) -> None:
    # 800×400 pixels stored sideways, with EXIF orientation 6 ("turn 90° clockwise to show").
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 120, 200)).save(sideways, "JPEG", exif=exif.tobytes())
    store = MediaStore(tmp_path)
    async with db.unit_of_work() as session:
        photo = await record_media(session, store, sideways.getvalue(), kind="photo", uploaded_by_id=None, rt_id=None)
        paper = await record_media(session, store, pdf(), kind="document", uploaded_by_id=None, rt_id=None)
    thumbnail = store.thumbnail_of(photo)
    with Image.open(thumbnail) as small:
        assert (small.format, small.size) == ("JPEG", (160, 320))  # upright: taller than wide, long side 320
    assert thumbnail == tmp_path / store.thumbnail_path(photo.sha256)  # derived from the row alone
    assert store.thumbnail_of(paper) is None


async def test_media_folders_and_files_are_for_the_owner_only(db: Database, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask would leave them readable by everyone
    try:
        store = MediaStore(tmp_path / "media")  # MEDIA_DIR itself is made too when missing
        async with db.unit_of_work() as session:
            await record_media(session, store, jpeg(5), kind="photo", uploaded_by_id=None, rt_id=None)
    finally:
        os.umask(old_umask)
    folders = [tmp_path / "media", *(p for p in (tmp_path / "media").rglob("*") if p.is_dir())]
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(files) == 2  # the photo and its thumbnail
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_a_stored_path_never_leads_outside_the_media_folder(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    for bad in ("../secret", "ab/../../x", "/etc/passwd"):
        with pytest.raises(ValueError):
            store.absolute(bad)
