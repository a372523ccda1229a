"""A stored file becomes visible when its row commits and is gone when the unit of work does not commit."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.db import Database
from services.media import MediaStore, record_media
from services.models import Media
from services.pending_files import TEMPORARY_PREFIX
from tests.images import jpeg, pdf


class Boom(Exception):
    pass


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_rolled_back_unit_of_work_leaves_no_file(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    with pytest.raises(Boom):
        async with db.unit_of_work() as session:
            await record_media(session, store, jpeg(7), kind="photo", uploaded_by_id=None, rt_id=None)
            # Before the commit: written, but under a temporary name only; no reader can find it by its row's path.
            written = files_under(store.root)
            assert written and all(p.name.startswith(TEMPORARY_PREFIX) for p in written)
            raise Boom
    assert files_under(store.root) == []
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_a_committed_unit_of_work_leaves_exactly_the_final_files(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        photo = await record_media(session, store, jpeg(8), kind="photo", uploaded_by_id=None, rt_id=None)
        paper = await record_media(session, store, pdf(), kind="document", uploaded_by_id=None, rt_id=None)
        again = await record_media(session, store, jpeg(8), kind="photo", uploaded_by_id=None, rt_id=None)
    expected = sorted(
        [store.absolute(photo.path), store.absolute(paper.path), store.root / store.thumbnail_path(photo.sha256)]
    )
    assert files_under(store.root) == expected
    assert again.path == photo.path
    assert store.absolute(photo.path).read_bytes() == jpeg(8)


async def test_a_file_already_there_is_kept_when_a_new_row_naming_it_rolls_back(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        photo = await record_media(session, store, jpeg(9), kind="photo", uploaded_by_id=None, rt_id=None)
    before = files_under(store.root)
    with pytest.raises(Boom):
        async with db.unit_of_work() as session:
            await record_media(session, store, jpeg(9), kind="photo", uploaded_by_id=None, rt_id=None)
            raise Boom
    assert files_under(store.root) == before
    assert store.absolute(photo.path).read_bytes() == jpeg(9)


async def test_a_rolled_back_savepoint_takes_its_files_a_committed_one_keeps_them(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        with pytest.raises(Boom):
            async with session.begin_nested():  # as a flow step does around a report that may be refused
                await record_media(session, store, jpeg(21), kind="photo", uploaded_by_id=None, rt_id=None)
                raise Boom
        assert files_under(store.root) == []  # gone at once, though the unit of work goes on
        async with session.begin_nested():
            kept = await record_media(session, store, pdf(), kind="document", uploaded_by_id=None, rt_id=None)
    assert files_under(store.root) == [store.absolute(kept.path)]
