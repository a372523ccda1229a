"""The restore drill: a database with reports and photos backed up, restored elsewhere, every row of every table and
every file identical; damaged backups and non-empty targets refused in Indonesian before anything is written."""

import asyncio
import itertools
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from bot.backup.manifest import sha256_of
from bot.cli.app import app
from services.db import Database
from services.media import MediaStore, record_media
from services.models import Media
from services.private_paths import sqlite_file
from services.program import Program
from tests.conftest import pg_admin, postgres_url
from tests.images import jpeg, pdf
from tests.services import test_reports as report_helpers

_names = itertools.count()


async def invoke(database_url: str, media: Path, data: Path, *args: str):
    """The command as an operator types it; in a thread of its own, as it runs its own event loop."""
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(media), "DATA_DIR": str(data)}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A database of the same kind with nothing in it (no migrations): where a restore may go."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'kampung_bahagia.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"kb_restore_{os.getpid()}_{next(_names)}"
    pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE template0")
    yield postgres_url(admin_url, name)
    pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def fill(db: Database, program: Program, store: MediaStore) -> None:
    """A stage report with two photos, another photo and a PDF, through the services the bot itself uses."""
    ketua = await report_helpers.setup(db, program)
    photos = [report_helpers.photo(n) for n in (1, 2)]
    await report_helpers.submit(db, program, store, ketua, "sosialisasi", evidence=photos)
    async with db.unit_of_work() as session:
        await record_media(session, store, jpeg(3), kind="photo", uploaded_by_id=ketua, rt_id=None)
        await record_media(session, store, pdf(), kind="document", uploaded_by_id=ketua, rt_id=None)


async def every_row(database_url: str) -> dict[str, list]:
    if (path := sqlite_file(database_url)) is not None and not path.exists():
        return {}  # never made: as empty as can be
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            found = {}
            for table in sorted(tables):
                rows = (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()
                found[table] = sorted((tuple(row) for row in rows), key=repr)
            return found
    finally:
        await engine.dispose()


def hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_of(p) for p in root.rglob("*") if p.is_file()}


async def test_restore_drill_every_row_and_every_file_identical(
    db: Database, program: Program, database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    await fill(db, program, MediaStore(media))
    (media / "ab").mkdir(exist_ok=True)
    (media / "ab" / ".tmp-left-by-a-crash").write_bytes(b"half")  # named by no row: not part of the backup

    backup = tmp_path / "cadangan"
    made = await invoke(database_url, media, tmp_path / "data", "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert "Cadangan" in made.output

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database_kind"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert manifest["schema_revision"] and manifest["created_at"]
    assert {name: sha256_of(backup / name) for name in manifest["files"]} == manifest["files"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700

    restored_media = tmp_path / "restored-media"
    done = await invoke(empty_database_url, restored_media, tmp_path / "data2", "restore", str(backup))
    assert done.exit_code == 0, done.output

    original, copy = await every_row(database_url), await every_row(empty_database_url)
    assert copy == original
    assert len(original["media"]) == 4 and len(original["stage_report"]) == 1
    expected = {k: v for k, v in hashes(media).items() if ".tmp-" not in k}
    assert hashes(restored_media) == expected
    assert len(expected) == 4 + 3  # four files, three photo thumbnails
    async with db.unit_of_work() as session:
        paths = set(await session.scalars(select(Media.path)))
    assert all((restored_media / p).is_file() for p in paths)
    assert {stat.S_IMODE(p.stat().st_mode) for p in restored_media.rglob("*") if p.is_file()} == {0o600}


async def test_a_damaged_backup_is_refused_naming_the_file_and_nothing_is_restored(
    db: Database, program: Program, database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    await fill(db, program, MediaStore(media))
    backup = tmp_path / "cadangan"
    assert (await invoke(database_url, media, tmp_path / "data", "backup", str(backup))).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    victim = sorted(name for name in manifest["files"] if name.startswith("media/"))[0]
    (backup / victim).write_bytes(b"rusak")

    restored_media = tmp_path / "restored-media"
    refused = await invoke(empty_database_url, restored_media, tmp_path / "data2", "restore", str(backup))
    assert refused.exit_code == 1
    assert victim in refused.output and "rusak" in refused.output.lower()
    assert not restored_media.exists()
    assert await every_row(empty_database_url) == {}


async def test_a_restore_into_a_database_in_use_is_refused(
    db: Database, program: Program, database_url: str, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    await fill(db, program, MediaStore(media))
    backup = tmp_path / "cadangan"
    assert (await invoke(database_url, media, tmp_path / "data", "backup", str(backup))).exit_code == 0
    before = await every_row(database_url)

    refused = await invoke(database_url, tmp_path / "other-media", tmp_path / "data", "restore", str(backup))
    assert refused.exit_code == 1 and "tidak kosong" in refused.output
    assert await every_row(database_url) == before

    again = await invoke(database_url, media, tmp_path / "data", "backup", str(backup))
    assert again.exit_code == 1 and "tidak kosong" in again.output  # a backup never mixes into an older one
