"""Making a backup and restoring one.

Layout of DIR: `manifest.json`, the database (`database.sqlite3`, a copy made with SQLite's online backup API, or
`database.pgdump`, pg_dump's custom format) and `media/<the same relative paths as in MEDIA_DIR>`: every file a
`media` row names, with its thumbnail. The copy is consistent: SQLite's backup API and pg_dump each copy one
snapshot while the bot keeps writing. Files are never changed in place (they are named by their content) and the
sweeper removes none that a row names, so the files listed after the snapshot are all there to copy.

A restore goes into an empty database and an empty media folder only, of the same kind (SQLite → SQLite,
PostgreSQL → PostgreSQL): a cross-kind restore is not supported.
"""

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.backup import pg_tools
from bot.backup.manifest import NAME, Manifest, sha256_of, verify
from bot.backup.problems import BackupRefused
from services.media import MediaStore
from services.pending_files import temporary_name
from services.private_paths import FILE_MODE, private_dir, private_file, sqlite_file

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
_MEDIA_QUERY = "SELECT path, sha256 FROM media"
_REVISION_QUERY = "SELECT version_num FROM alembic_version"


@dataclass
class Restored:
    manifest: Manifest
    media_files: int


def kind_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


async def create_backup(database_url: str, media_dir: Path, folder: Path) -> Manifest:
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused("backup_folder_not_empty", str(folder))
    private_dir(folder)  # a backup holds the same personal data as the database: owner-only
    kind = kind_of(database_url)
    if kind == "sqlite":
        database_file = SQLITE_FILE
        rows, revision = _sqlite_copy(_sqlite_path(database_url), folder / database_file)
    else:
        database_file = PG_FILE
        private_file(folder / database_file)
        pg_tools.dump(database_url, folder / database_file)
        rows, revision = await _pg_media_and_revision(database_url)
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database_kind=kind,
        schema_revision=revision,
        database_file=database_file,
    )
    manifest.files[database_file] = sha256_of(folder / database_file)
    store = MediaStore(Path(media_dir))
    named = {str(Path(path)) for path, _sha in rows}
    for relative in _media_files(store, rows):
        source = store.absolute(relative)
        if not source.is_file():
            if relative in named:  # a thumbnail may be missing: photos stored before thumbnails have none
                manifest.missing_media.append(relative)
            continue
        name = f"{MEDIA}/{relative}"
        _copy_private(source, folder / name)
        manifest.files[name] = sha256_of(folder / name)
    manifest.write(folder)
    (folder / NAME).chmod(FILE_MODE)
    return manifest


async def restore_backup(database_url: str, media_dir: Path, folder: Path) -> Restored:
    folder = Path(folder)
    manifest = Manifest.read(folder)
    verify(folder, manifest)
    kind = kind_of(database_url)
    if manifest.database_kind != kind:
        raise BackupRefused("other_kind", manifest.database_kind, kind)
    media_dir = Path(media_dir)
    if media_dir.exists() and any(p.is_file() for p in media_dir.rglob("*")):
        raise BackupRefused("media_not_empty", str(media_dir))
    if kind == "sqlite":
        target = _sqlite_path(database_url)
        if _sqlite_has_tables(target):
            raise BackupRefused("database_not_empty", str(target))
        _sqlite_restore(folder / manifest.database_file, target)
    else:
        if await _pg_has_tables(database_url):
            raise BackupRefused("database_not_empty", _pg_name(database_url))
        pg_tools.restore(database_url, folder / manifest.database_file)
    prefix = f"{MEDIA}/"
    store = MediaStore(media_dir)
    private_dir(media_dir)
    count = 0
    for name in sorted(manifest.files):
        if name.startswith(prefix):
            _copy_private(folder / name, store.absolute(name[len(prefix) :]))
            count += 1
    return Restored(manifest=manifest, media_files=count)


def _media_files(store: MediaStore, rows: list[tuple[str, str]]) -> list[str]:
    files = {str(Path(path)) for path, _sha in rows}
    # Documents have no thumbnail: the path is only looked at, a missing one skipped.
    files |= {str(store.thumbnail_path(sha256)) for _path, sha256 in rows}
    return sorted(files)


def _copy_private(source: Path, target: Path) -> None:
    """Owner-only from the first byte, and whole or not there (a copy cut short never keeps the final name)."""
    private_dir(target.parent)
    temporary = temporary_name(target)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as file:
        shutil.copyfileobj(file, out)
    os.replace(temporary, target)


def _sqlite_path(database_url: str) -> Path:
    path = sqlite_file(database_url)
    if path is None:
        raise BackupRefused("no_database_file", database_url)
    return path


def _sqlite_copy(source: Path, copy: Path) -> tuple[list[tuple[str, str]], str | None]:
    if not source.is_file():
        raise BackupRefused("no_database_file", str(source))
    private_file(copy)
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(copy)) as out:
        live.backup(out)  # the online backup API: one consistent snapshot while the bot writes on
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        rows = [(path, sha256) for path, sha256 in out.execute(_MEDIA_QUERY)]
        revision = out.execute(_REVISION_QUERY).fetchone()
    return rows, revision[0] if revision else None


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def _sqlite_restore(copy: Path, target: Path) -> None:
    private_file(target)
    with closing(sqlite3.connect(copy)) as source, closing(sqlite3.connect(target)) as out:
        source.backup(out)
        out.execute("PRAGMA journal_mode=WAL")  # as the bot runs it (services/db.py)


async def _pg_media_and_revision(database_url: str) -> tuple[list[tuple[str, str]], str | None]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = [(path, sha256) for path, sha256 in await connection.execute(text(_MEDIA_QUERY))]
            revision = await connection.scalar(text(_REVISION_QUERY))
    finally:
        await engine.dispose()
    return rows, revision


async def _pg_has_tables(database_url: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        await engine.dispose()
    return bool(count)


def _pg_name(database_url: str) -> str:
    return make_url(database_url).database or ""
