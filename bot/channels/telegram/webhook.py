"""The webhook's guard, route and setup: Telegram echoes our secret in a header; anything else is not Telegram."""

import hmac
import logging

from aiogram import Bot
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.channels.stored import StoredInbound
from bot.channels.telegram.polling import ALLOWED_UPDATES
from bot.settings import Settings
from bot.webhook_body import BodyTooLarge, NotJson, parse_json, read_body
from services.inbound_queue import Received

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


def webhook_router(inbound: StoredInbound, secret: str) -> APIRouter:
    """Telegram's webhook route, for the web app of the process (bot/web.py). Thin: guard, parse, store, answer;
    the conversation work happens after, in the drain of `inbound` (bot/channels/stored.py)."""
    if not secret:
        raise ValueError("the Telegram webhook needs a secret token")
    router = APIRouter()

    @router.post(PATH)
    async def telegram_webhook(request: Request) -> Response:
        # The secret first: nothing of a stranger's body is read.
        if not secret_matches(secret, request.headers.get(SECRET_HEADER)):
            return Response(status_code=401)
        try:
            payload = parse_json(await read_body(request))
            update = Update.model_validate(payload)
        except BodyTooLarge as error:
            log.warning("webhook body refused: %s", error)
            return Response(status_code=413)
        except (NotJson, ValidationError, RecursionError) as error:
            log.warning("webhook body is not a Telegram update (%s)", type(error).__name__)
            return Response(status_code=400)
        arrival = inbound.processor.adapter.arrival(update)  # pure: whose line, which id
        try:
            await inbound.accept([Received(str(arrival.id), arrival.person, payload)])
        except Exception:
            # The database could not take it (away): 503 makes Telegram deliver the update again later.
            log.exception("telegram update %s could not be stored", update.update_id)
            return Response(status_code=503)
        # Stored (or stored before: a redelivery): Telegram may forget it now.
        return Response(status_code=200)

    return router
