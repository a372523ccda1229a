"""The ASGI app: channel webhooks now (Telegram), WhatsApp and the dashboard later. Routes stay thin."""

import logging
from typing import Protocol

from aiogram.types import Update
from fastapi import FastAPI, Request, Response
from pydantic import ValidationError

from bot.bootstrap import App
from bot.channels.telegram.webhook import PATH as TELEGRAM_PATH
from bot.channels.telegram.webhook import SECRET_HEADER, secret_matches
from bot.webhook_body import BodyTooLarge, NotJson, parse_json, read_body

log = logging.getLogger(__name__)


class UpdateProcessor(Protocol):
    async def process(self, update: Update) -> bool: ...


def create_web_app(app: App, *, telegram: UpdateProcessor | None = None, telegram_secret: str | None = None) -> FastAPI:
    web = FastAPI(title="Kampung Bahagia", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.app = app

    @web.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    if telegram is not None:
        if not telegram_secret:
            raise ValueError("the Telegram webhook needs a secret token")

        @web.post(TELEGRAM_PATH)
        async def telegram_webhook(request: Request) -> Response:
            # The secret first: nothing of a stranger's body is read.
            if not secret_matches(telegram_secret, request.headers.get(SECRET_HEADER)):
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
                await telegram.process(update)
            except Exception:
                # The database could not even be asked (away): 503 makes Telegram deliver the update again later.
                log.exception("telegram update %s could not be checked", update.update_id)
                return Response(status_code=503)
            # Duplicates and failures while handling get 200: the person was answered (a "sorry" at worst), and a
            # failure rolled back leaves nothing that sending the update again would change.
            return Response(status_code=200)

    return web
