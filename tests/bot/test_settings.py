"""bot/settings.py: generated secrets and the folders that hold them are the bot user's alone."""

import io
import logging
import os
import stat
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from bot.bootstrap import bootstrap
from bot.logs import configure_logging
from bot.redaction import MASK
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


def test_whatsapp_is_on_only_with_token_and_phone_number_id() -> None:
    assert not Settings(_env_file=None).whatsapp_on
    assert not Settings(_env_file=None, whatsapp_access_token="EAAG-token-value").whatsapp_on
    assert not Settings(_env_file=None, whatsapp_phone_number_id="1234567890").whatsapp_on
    both = Settings(_env_file=None, whatsapp_access_token="EAAG-token-value", whatsapp_phone_number_id="1234567890")
    assert both.whatsapp_on and both.whatsapp_daily_limit == 250


def test_whatsapp_api_url_defaults_to_the_clients_meta_url() -> None:
    from bot.channels.whatsapp.client import DEFAULT_API_URL

    assert Settings(_env_file=None).whatsapp_api_url == DEFAULT_API_URL == "https://graph.facebook.com/v23.0"


def test_the_display_number_must_be_international(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "+62 812-3456-7890")
    assert Settings(_env_file=None).whatsapp_display_number == "+62 812-3456-7890"
    for national in ("0812-3456-7890", "nomor kantor", "+62 812"):
        monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", national)
        with pytest.raises(ValidationError, match="international form"):
            Settings(_env_file=None)
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "")
    assert Settings(_env_file=None).whatsapp_display_number is None
    monkeypatch.setenv("WHATSAPP_DAILY_LIMIT", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_no_whatsapp_secret_reaches_a_log_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Through the project's own logging setup, with the secrets given the way production gives them: the
    environment. Each one logged plainly, inside a URL-encoded query and inside a repr."""
    values = {
        "WHATSAPP_ACCESS_TOKEN": "EAAGm0PX4ZCpsBAKZCwhatsappAccessToken",
        "WHATSAPP_APP_SECRET": "0f3c9a7b1e2d4c5b6a7980abcdefa1b2",
        "WHATSAPP_VERIFY_TOKEN": "kampung-bahagia-verify-2026",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogRecordFactory())
    buffer = io.StringIO()
    try:
        configure_logging(Settings(_env_file=None, data_dir=tmp_path / "data"), stream=buffer)
        log = logging.getLogger("tests.whatsapp")
        for value in values.values():
            log.warning("Graph API said no to %s", value)
            log.error("GET /v23.0/me?access_token=%s", quote(value, safe=""))
            log.info("headers %r", {"Authorization": f"Bearer {value}"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.setLogRecordFactory(saved[2])
    text = buffer.getvalue()
    assert text.count(MASK) == 9, text
    for value in values.values():
        assert value not in text and quote(value, safe="") not in text
