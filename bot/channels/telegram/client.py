"""The aiogram `Bot` for our settings: the real Bot API, or another server (`TELEGRAM_API_URL`, e.g. a fake)."""

from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import Response

from bot.settings import Settings

# aiogram parses every answer as `Response[<method's result type>]`. pydantic (2.12+) caches such parametrised
# generics only weakly, so each garbage collection drops them and the next call rebuilds the whole `Message`
# schema (~10 ms, hundreds of times a minute under load; measured with bench/updates.py). Holding the ones we call
# keeps them built once for the life of the process.
_CALLED = (
    methods.GetMe,
    methods.GetUpdates,
    methods.SendMessage,
    methods.SendPhoto,
    methods.SendDocument,
    methods.EditMessageText,
    methods.AnswerCallbackQuery,
    methods.SetMyCommands,
    methods.GetFile,
    methods.SetWebhook,
    methods.DeleteWebhook,
)
RESPONSE_TYPES = tuple(Response[method.__returning__] for method in _CALLED)

# Telegram answers a send in well under a second. Waiting longer for a stalled Bot API only holds the webhook
# request of the person being answered (a stall once held each one 320 s with aiogram's 60 s default): after this
# the send counts as "fate unknown" and the outbox decides, without sending it blindly again.
SEND_TIMEOUT = 5
# Calls that only polish the chat (a button's spinner, the command list): not worth holding an answer for.
QUICK_TIMEOUT = 2
# An upload is given time for its bytes on top of SEND_TIMEOUT, at no less than this rate: the bot runs in a data
# centre, so 1 MB/s is a slow link, and a 10 MB photo still gets 15 s.
UPLOAD_BYTES_PER_SECOND = 1024 * 1024


def upload_timeout(size: int) -> int:
    return SEND_TIMEOUT + -(-size // UPLOAD_BYTES_PER_SECOND)


def make_bot(token: str, api_url: str | None = None, *, timeout: float = SEND_TIMEOUT) -> Bot:
    """Every call without its own `request_timeout` (getFile, getMe, setWebhook…) gives up after `timeout`."""
    session = AiohttpSession(timeout=timeout)
    if api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), timeout=timeout)
    return Bot(token, session=session)


def bot_from_settings(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
