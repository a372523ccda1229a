"""`kampung-bahagia media sweep [--dry-run]`: what the clock does daily, by hand."""

import asyncio
import os
import time
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app


async def test_media_sweep_lists_with_dry_run_and_removes_without(database_url: str, tmp_path: Path) -> None:
    media = tmp_path / "media"
    stray = media / "ab" / "cd" / ".tmp-4f2a"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"12345")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stray, (two_days_ago, two_days_ago))
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(media), "DATA_DIR": str(tmp_path / "data")}

    def run(*args: str):
        return CliRunner().invoke(app, ["media", "sweep", *args], env=env, catch_exceptions=False)

    looked = await asyncio.to_thread(run, "--dry-run")
    assert looked.exit_code == 0, looked.output
    assert "ab/cd/.tmp-4f2a" in looked.output and "1 berkas (5 bita) akan dihapus" in looked.output
    assert stray.exists()
    swept = await asyncio.to_thread(run)
    assert "1 berkas (5 bita) dihapus" in swept.output
    assert not stray.exists()
