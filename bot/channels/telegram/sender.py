"""`TelegramSender`: one `Reply` to one chat, with Bot API errors turned into a `SendResult`.

It never sleeps nor retries: the outbox worker and `direct_send` decide what to do with the result. Every call has
a timeout of a few seconds (client.py), and every error it reports is redacted: it is stored in the database.
"""

import logging
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import FSInputFile, InlineKeyboardMarkup
from aiohttp import ClientConnectorError, ConnectionTimeoutError, InvalidURL

from bot.channels.base import TRANSIENT, SendResult
from bot.channels.telegram.client import QUICK_TIMEOUT, SEND_TIMEOUT, upload_timeout
from bot.channels.telegram.render import render
from bot.redaction import redact
from handlers.messages import Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Telegram answers 400 for these when the person is gone: no retry will ever help.
_GONE = ("chat not found", "user not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


# sendPhoto's limits (Bot API): evidence may be up to 20 MB and come as any image file, so some go as documents.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def chat_id_of(external_id: str) -> int | str:
    return int(external_id) if external_id.lstrip("-").isdigit() else external_id


def result_of_error(error: Exception) -> SendResult:
    """The `SendResult` for an exception raised by a Bot API call."""
    text = redact(error)
    if isinstance(error, TelegramRetryAfter):
        return SendResult(ok=False, retry_after=float(error.retry_after), error=text)
    if isinstance(error, TelegramForbiddenError):
        return SendResult(ok=False, unreachable=True, error=text)
    if isinstance(error, TelegramBadRequest | TelegramNotFound) and _gone(error):
        return SendResult(ok=False, unreachable=True, error=text)
    if isinstance(error, TelegramNetworkError):
        return SendResult(ok=False, uncertain=not nothing_sent(error), no_answer=True, error=f"{TRANSIENT}{text}")
    if isinstance(error, TelegramServerError):
        # Telegram answered that it failed: nothing was delivered, trying again is safe.
        return SendResult(ok=False, error=f"{TRANSIENT}{text}")
    return SendResult(ok=False, error=text)


# aiogram wraps the aiohttp error (as `__cause__`, and by class name at the start of its message). Only these mean
# the request never left: the connection was refused, not resolved or not made in time. A plain timeout ("Request
# timeout error") or a connection dropped later may have reached Telegram: the message may be in the chat.
_NOT_SENT = (ClientConnectorError, ConnectionTimeoutError, InvalidURL)
_NOT_SENT_NAMES = (*(f"{kind.__name__}:" for kind in _NOT_SENT), "ClientConnectorDNSError:")


def nothing_sent(error: TelegramNetworkError) -> bool:
    if isinstance(error.__cause__, _NOT_SENT):
        return True
    return error.message.startswith(_NOT_SENT_NAMES)


class TelegramSender:
    """The `Sender` of Telegram (bot/channels/base.py)."""

    channel = CHANNEL

    def __init__(self, bot: Bot, media_dir: Path) -> None:
        self.bot = bot
        self.media_dir = Path(media_dir)

    async def alive(self) -> bool:
        """Does the Bot API answer at all? (getMe: harmless to repeat.) Any answer counts, even an error."""
        try:
            await self.bot.get_me(request_timeout=QUICK_TIMEOUT)
        except TelegramNetworkError:
            return False
        except TelegramAPIError:
            return True
        return True

    async def close(self) -> None:
        await self.bot.session.close()

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        result, _sent = await self.send_from(external_id, reply, 0)
        return result

    async def send_file(self, external_id: str, path: str, kind: str) -> SendResult:
        # A reply of one attachment and no words renders to exactly that one call (render.py).
        return await self.send(external_id, Reply("", attachments=((kind, path),)))

    async def send_from(self, external_id: str, reply: Reply, start: int) -> tuple[SendResult, int]:
        """Send the reply's calls from index `start`; returns the result and how many calls are done in total.

        A reply can be several messages (photos, long text): a retry resumes where it stopped, no duplicates.
        """
        calls = render(reply)
        chat_id = chat_id_of(external_id)
        done = start
        for method, kwargs in calls[start:]:
            try:
                await self._call(chat_id, method, kwargs)
            except TelegramAPIError as error:
                result = result_of_error(error)
                log.info("telegram %s to %s failed: %s", method, external_id, result.error)
                return result, done
            done += 1
        return SendResult(ok=True), done

    async def _call(self, chat_id: int | str, method: str, kwargs: dict) -> None:
        kwargs = dict(kwargs)
        if "path" in kwargs:
            await self._attachment(chat_id, method, self.media_dir / kwargs.pop("path"))
            return
        if "reply_markup" in kwargs:
            kwargs["reply_markup"] = InlineKeyboardMarkup.model_validate(kwargs["reply_markup"])
        await self._method(method)(chat_id=chat_id, request_timeout=SEND_TIMEOUT, **kwargs)

    async def _attachment(self, chat_id: int | str, method: str, path: Path) -> None:
        """A stored file; never the reason the words and buttons after it stay unsent (a review card's photos)."""
        if not path.is_file():
            log.error("attachment missing, not sent: %s", path)
            return
        if method == "send_photo" and not takes_as_photo(path):
            method = "send_document"
        try:
            await self._upload(chat_id, method, path)
        except TelegramBadRequest as error:
            if _gone(error):
                raise
            if method == "send_photo":
                # Telegram could not make a photo of it (dimensions, format): the file itself still goes.
                log.warning("sendPhoto refused %s (%s); sending it as a document", path.name, error)
                await self._attachment_as_document(chat_id, path)
            else:
                log.error("attachment refused by Telegram, not sent: %s (%s)", path, error)

    async def _attachment_as_document(self, chat_id: int | str, path: Path) -> None:
        try:
            await self._upload(chat_id, "send_document", path)
        except TelegramBadRequest as error:
            if _gone(error):
                raise
            log.error("attachment refused by Telegram, not sent: %s (%s)", path, error)

    async def _upload(self, chat_id: int | str, method: str, path: Path) -> None:
        field = "photo" if method == "send_photo" else "document"
        timeout = upload_timeout(path.stat().st_size)
        await self._method(method)(chat_id=chat_id, request_timeout=timeout, **{field: FSInputFile(path)})

    def _method(self, name: str):
        """The Bot API call a rendered call names (render.py makes only these three)."""
        b = self.bot
        return {"send_message": b.send_message, "send_photo": b.send_photo, "send_document": b.send_document}[name]


def takes_as_photo(path: Path) -> bool:
    """Whether sendPhoto takes this file: at most 10 MB, in a format Telegram turns into a photo (not HEIC)."""
    return path.suffix.lower() in PHOTO_SUFFIXES and path.stat().st_size <= PHOTO_MAX_BYTES


def _gone(error: TelegramAPIError) -> bool:
    return any(g in str(error).lower() for g in _GONE)
