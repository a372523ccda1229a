"""No secret in a log line or a stored error: the bot token, SECRET_KEY, the webhook secret, any `SecretStr` setting
added later, the secrets generated into DATA_DIR, and any Telegram token shape — wherever the record comes from.

The log is captured through the project's real logging setup (`bot.logs.configure_logging`, what `run`, `web`,
`clock` and `worker` call first), writing to a buffer instead of stderr.
"""

import asyncio
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot
from aiohttp import ClientResponseError
from pydantic import SecretStr
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.media import telegram_fetcher
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import webhook_secret
from bot.delivery.worker import ChannelWorker, WorkerConfig
from bot.logs import configure_logging
from bot.redaction import MASK
from bot.settings import Settings
from handlers.context import MediaUnavailable
from handlers.messages import MediaItem, Reply
from handlers.payload import payload_of
from services import outbox
from services.db import Database
from services.models import ChannelIdentity, OutboxMessage, Person, Role
from services.program import Program
from tests.bot.channels.telegram.conftest import Telegram, settings_for
from tests.fakes.telegram_api import FakeTelegramServer
from tests.handlers.conftest import load_roster
from tests.handlers.flows.ketua_setup import add_reports
from tests.images import jpeg

TOKEN = "987654321:AAH-secretTokenPartThatMustNeverBeSeen_x"
RT1 = "15.71.01.1001-001"  # Kelompok A; sosialisasi approved, rembuk warga due in April
APRIL_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
KETUA = 77001


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Whatever the process's own handler writes; the logging set-up is put back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogRecordFactory())
    buffer = io.StringIO()
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.setLogRecordFactory(saved[2])


@pytest.fixture
async def server() -> Iterator[FakeTelegramServer]:
    async with FakeTelegramServer(TOKEN, max_poll_timeout=0.2) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegramServer) -> Iterator[Bot]:
    bot = make_bot(TOKEN, server.base_url)
    yield bot
    await bot.session.close()


def settings(tmp_path: Path, server: FakeTelegramServer, **extra) -> Settings:
    return Settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path / "data",
        media_dir=tmp_path / "media",
        telegram_bot_token=TOKEN,
        telegram_api_url=server.base_url,
        **extra,
    )


def assert_clean(text: str, *secrets: str) -> None:
    for secret in (TOKEN, TOKEN.split(":", 1)[1], *secrets):
        assert secret not in text, f"{secret!r} leaked:\n{text}"


async def test_a_404_download_is_media_unavailable_without_the_url(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("foto-1", b"\xff\xd8photo", "photos/foto-1.jpg")
    server.fail_download("foto-1", 404)
    with pytest.raises(MediaUnavailable) as raised:
        await telegram_fetcher(bot, backoff=0.01)(MediaItem("photo", "foto-1"))
    assert "404" in str(raised.value)
    assert "file/bot" not in str(raised.value) and raised.value.__cause__ is None
    assert raised.value.__suppress_context__  # a traceback of it does not show the aiohttp error either
    assert [c.method for c in server.calls] == ["getFile"]  # a 404 is not asked again


async def test_a_refused_getfile_is_media_unavailable(server: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(MediaUnavailable):
        await telegram_fetcher(bot, backoff=0.01)(MediaItem("photo", "never-uploaded"))


async def test_the_running_channel_logs_no_token_when_a_download_fails(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path, captured
) -> None:
    """A Ketua RT sends the rembuk warga photo and Telegram answers 404 for its download."""
    configure_logging(settings(tmp_path, server), stream=captured)
    db = Database(database_url)
    await load_roster(db, program)
    await add_reports(db, RT1, ["sosialisasi"])
    app = App(settings_for(database_url, tmp_path, server), program, db, pepper, clock=lambda: APRIL_10)
    channel = Telegram(server, app, make_bot(TOKEN, server.base_url))
    channel.start_polling()
    try:
        code = await channel.invite(Role.KETUA_RT, RT1)
        for text in (f"/start {code}", "/lapor"):
            await channel.say(KETUA, text)
        await channel.press(KETUA, "Rembuk Warga")
        await channel.press(KETUA, "Hari ini")
        await channel.say(KETUA, "45")
        await channel.say(KETUA, "30")
        for name in ("rembuk-1", "rembuk-2"):
            server.add_file(name, jpeg(len(name)), f"photos/{name}.jpg")
            await channel.push(server.photo_update(KETUA, name))
        server.fail_download("rembuk-2", 404)  # the photos are fetched when the report is sent
        await channel.press(KETUA, "Selesai")
        answer = await channel.press(KETUA, "Kirim")
    finally:
        await channel.kill_polling()
        await channel.bot.session.close()
        await db.dispose()
    said = "".join(m.get("text") or "" for m in answer)
    assert "ke-2" in said, f"asked again for the photo that failed: {said}"
    assert any(c.method == "getFile" for c in server.calls)
    log = captured.getvalue()
    assert "rembuk-2" in log and "404" in log  # the failure is still in the log, only without the URL
    assert_clean(log + "".join(m.get("text") or "" for m in answer))


async def test_an_aiohttp_error_logged_by_any_library_is_masked(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path, captured, caplog: pytest.LogCaptureFixture
) -> None:
    """The very error the old code logged, as aiogram, aiohttp, uvicorn or apscheduler would log it."""
    configure_logging(settings(tmp_path, server), stream=captured)
    server.add_file("f", b"x", "documents/f.pdf")
    server.fail_download("f", 404)
    with pytest.raises(ClientResponseError) as raised:
        await bot.download_file("documents/f.pdf", destination=io.BytesIO())
    error = raised.value
    assert TOKEN in str(error)  # what there is to hide
    with caplog.at_level(logging.INFO):
        for name in ("aiogram.dispatcher", "aiohttp.client", "uvicorn.error", "apscheduler.scheduler", "bot.x"):
            logger = logging.getLogger(name)
            try:
                raise RuntimeError("while downloading") from error
            except RuntimeError:
                logger.exception("download failed: %s", error)
            logger.error("args as a mapping: %(e)s", {"e": error})
            logger.warning(f"already formatted: {error!r}")
    assert captured.getvalue().count(MASK) >= 15
    assert_clean(captured.getvalue())
    assert_clean(caplog.text)  # any other handler (here pytest's) gets the masked record too


def test_every_secret_setting_is_masked_including_ones_added_later(
    server: FakeTelegramServer, tmp_path: Path, captured
) -> None:
    class Later(Settings):  # the coming WhatsApp settings, declared the way every secret is
        whatsapp_token: SecretStr | None = None
        whatsapp_app_secret: SecretStr | None = None
        whatsapp_verify_token: SecretStr | None = None

    given = Later(
        _env_file=None,
        data_dir=tmp_path / "data",
        telegram_bot_token=TOKEN,
        secret_key="the-secret-key-value",
        database_url="postgresql+asyncpg://kb:db-password-123@127.0.0.1/kb",
        whatsapp_token="EAAG-whatsapp-access-token",
        whatsapp_app_secret="app-secret-of-meta",
        whatsapp_verify_token="verify-token-value",
    )
    configure_logging(given, stream=captured)
    generated = webhook_secret(given)  # made now, after logging was configured
    secrets = ("the-secret-key-value", "db-password-123", "EAAG-whatsapp-access-token", "app-secret-of-meta")
    log = logging.getLogger("tests.security")
    for value in (*secrets, "verify-token-value", generated, TOKEN):
        log.warning("value %s in %r", value, {"nested": [value]})
    log.warning("a bare token 1234567:%s and a URL http://x/bot42:abc/getMe", "A" * 35)
    assert_clean(captured.getvalue(), *secrets, "verify-token-value", generated, "bot42:abc", "A" * 35)


async def test_a_stored_send_error_holds_no_token(db: Database, tmp_path: Path) -> None:
    """A Bot API URL that aiohttp refuses: its error quotes the URL, token included; the outbox stores it masked."""
    bot = make_bot(TOKEN, "http://127.0.0.1:99999")
    sender = TelegramSender(bot, tmp_path)
    async with db.unit_of_work() as session:
        person = Person(nama="Pak RT", role=Role.KETUA_RT)
        session.add(person)
        await session.flush()
        session.add(ChannelIdentity(person_id=person.id, channel="telegram", external_id="5"))
        outbox.enqueue_to(session, "telegram", "5", payload_of(Reply("halo")), person_id=person.id)
    stop = asyncio.Event()
    worker = ChannelWorker(db, sender, WorkerConfig(poll_interval=0.05, backoff=0.01, max_attempts=2))
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            async with db.unit_of_work() as session:
                row = await session.scalar(select(OutboxMessage))
            if row.status == "failed":
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await bot.session.close()
    assert row.status == "failed" and row.error
    assert "InvalidUrl" in row.error and MASK in row.error
    assert_clean(row.error)
