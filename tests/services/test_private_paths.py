"""services/private_paths.py: the database, secrets and photos readable by the bot's own user only."""

import asyncio
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from services.db import Database
from services.private_paths import private_dir, private_file, sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    # The umask most machines have: without our modes, folders would be 0755 and files 0644.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_folders_and_their_missing_parents_are_owner_only(tmp_path: Path) -> None:
    private_dir(tmp_path / "data" / "media")
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "media") == 0o700


def test_an_existing_folder_too_open_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o755)
    private_dir(tmp_path / "data")
    assert mode(tmp_path / "data") == 0o700


def test_a_file_is_owner_only_and_its_existing_folder_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    private_file(tmp_path / "kb.db")
    private_file(tmp_path / "baru" / "kb.db")
    assert (mode(tmp_path / "kb.db"), mode(tmp_path / "baru" / "kb.db"), mode(tmp_path / "baru")) == (0o600,) * 2 + (
        0o700,
    )
    assert mode(tmp_path) == 0o755
    (tmp_path / "old.db").write_bytes(b"x")
    private_file(tmp_path / "old.db")
    assert (mode(tmp_path / "old.db"), (tmp_path / "old.db").read_bytes()) == (0o600, b"x")


def test_the_sqlite_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    async def write() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kb.db'}")
        try:
            async with database.unit_of_work() as session:
                await session.execute(text("CREATE TABLE t (x INTEGER)"))
                await session.execute(text("INSERT INTO t VALUES (1)"))
            created = sorted(p.name for p in (tmp_path / "data").iterdir())
            assert created == ["kb.db", "kb.db-shm", "kb.db-wal"]
            assert {p.name: mode(p) for p in (tmp_path / "data").iterdir()} == dict.fromkeys(created, 0o600)
        finally:
            await database.dispose()

    asyncio.run(write())
    assert mode(tmp_path / "data") == 0o700


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite+aiosqlite:///data/kb.db", Path("data/kb.db")), ("sqlite+aiosqlite:////var/kb.db", Path("/var/kb.db")),
     ("sqlite+aiosqlite://", None), ("sqlite+aiosqlite:///:memory:", None),
     ("postgresql+asyncpg://postgres@127.0.0.1/kb", None)],
)  # fmt: skip
def test_sqlite_file(url: str, path: Path | None) -> None:
    assert sqlite_file(url) == path
