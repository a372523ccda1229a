"""bot/settings.py: generated secrets and the folders that hold them are the bot user's alone."""

import os
import stat
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_generated_secret_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", secret_key=None)
        value = settings.invitation_pepper()
    finally:
        os.umask(previous)
    assert value == settings.invitation_pepper()  # kept, not made again
    assert (mode(tmp_path / "data"), mode(tmp_path / "data" / ".secret_key")) == (0o700, 0o600)


async def test_bootstrap_makes_the_media_folder_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path / "data",
            media_dir=tmp_path / "data" / "media",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kb.db'}",
        )
        app = bootstrap(settings)
    finally:
        os.umask(previous)
    try:
        assert {p.name: mode(p) for p in [tmp_path / "data", *(tmp_path / "data").iterdir()]} == {
            "data": 0o700,
            "media": 0o700,
            "kb.db": 0o600,
            ".secret_key": 0o600,
        }
    finally:
        await app.close()
