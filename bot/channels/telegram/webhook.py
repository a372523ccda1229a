"""The webhook's guard, route and setup: Telegram echoes our secret in a header; anything else is not Telegram."""

import hmac
import logging
from typing import Protocol

from aiogram import Bot
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.channels.telegram.polling import ALLOWED_UPDATES
from bot.settings import Settings
from bot.webhook_body import BodyTooLarge, NotJson, parse_json, read_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/webhook/telegram"


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, else one generated once and kept in DATA_DIR (URL-safe: allowed by Telegram)."""
    return settings.secret("telegram_webhook_secret", settings.telegram_webhook_secret)


def secret_matches(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def register_webhook(bot: Bot, url: str, secret: str) -> None:
    await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    log.info("Telegram webhook set to %s", url)


class UpdateProcessor(Protocol):
    async def process(self, update: Update) -> bool: ...


def webhook_router(processor: UpdateProcessor, secret: str) -> APIRouter:
    """Telegram's webhook route, for the web app of the process (bot/web.py). Thin: guard, parse, hand over."""
    if not secret:
        raise ValueError("the Telegram webhook needs a secret token")
    router = APIRouter()

    @router.post(PATH)
    async def telegram_webhook(request: Request) -> Response:
        # The secret first: nothing of a stranger's body is read.
        if not secret_matches(secret, request.headers.get(SECRET_HEADER)):
            return Response(status_code=401)
        try:
            update = Update.model_validate(parse_json(await read_body(request)))
        except BodyTooLarge as error:
            log.warning("webhook body refused: %s", error)
            return Response(status_code=413)
        except (NotJson, ValidationError, RecursionError) as error:
            log.warning("webhook body is not a Telegram update (%s)", type(error).__name__)
            return Response(status_code=400)
        try:
            await processor.process(update)
        except Exception:
            # The database could not even be asked (away): 503 makes Telegram deliver the update again later.
            log.exception("telegram update %s could not be checked", update.update_id)
            return Response(status_code=503)
        # Duplicates and failures while handling get 200: the person was answered (a "sorry" at worst), and a
        # failure rolled back leaves nothing that sending the update again would change.
        return Response(status_code=200)

    return router
