"""`TelegramSender`: one `Reply` to one chat, with Bot API errors turned into a `SendResult`.

It never sleeps nor retries: the outbox worker and `direct_send` decide what to do with the result.
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

from bot.channels.base import SendResult
from bot.channels.telegram.render import render
from handlers.messages import Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Prefix of `SendResult.error` for failures that may pass on their own (network, Telegram 5xx).
TRANSIENT = "transient: "
# Telegram answers 400 for these when the person is gone: no retry will ever help.
_GONE = ("chat not found", "user not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


def chat_id_of(external_id: str) -> int | str:
    return int(external_id) if external_id.lstrip("-").isdigit() else external_id


def result_of_error(error: Exception) -> SendResult:
    """The `SendResult` for an exception raised by a Bot API call."""
    if isinstance(error, TelegramRetryAfter):
        return SendResult(ok=False, retry_after=float(error.retry_after), error=str(error))
    if isinstance(error, TelegramForbiddenError):
        return SendResult(ok=False, unreachable=True, error=str(error))
    if isinstance(error, TelegramBadRequest | TelegramNotFound) and any(g in str(error).lower() for g in _GONE):
        return SendResult(ok=False, unreachable=True, error=str(error))
    if isinstance(error, TelegramNetworkError | TelegramServerError):
        return SendResult(ok=False, error=f"{TRANSIENT}{error}")
    return SendResult(ok=False, error=str(error))


class TelegramSender:
    channel = CHANNEL

    def __init__(self, bot: Bot, media_dir: Path) -> None:
        self.bot = bot
        self.media_dir = Path(media_dir)

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        result, _sent = await self.send_from(external_id, reply, 0)
        return result

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
                log.info("telegram %s to %s failed: %s", method, external_id, error)
                return result_of_error(error), done
            done += 1
        return SendResult(ok=True), done

    async def _call(self, chat_id: int | str, method: str, kwargs: dict) -> None:
        kwargs = dict(kwargs)
        if "path" in kwargs:
            path = self.media_dir / kwargs.pop("path")
            if not path.is_file():
                # A missing file must not block the words that come with it; the text still goes out.
                log.error("attachment missing, not sent: %s", path)
                return
            kwargs["photo" if method == "send_photo" else "document"] = FSInputFile(path)
        if "reply_markup" in kwargs:
            kwargs["reply_markup"] = InlineKeyboardMarkup.model_validate(kwargs["reply_markup"])
        await getattr(self.bot, method)(chat_id=chat_id, **kwargs)
