"""WhatsApp's inbound side of `kampung-bahagia run` / `web`: the webhook's routes (served by the web app of the
process, bot/web.py) and the drain that works through what they stored. Everything built from the `App`, so tests
run the very same wiring against the fake Graph API."""

import asyncio
import logging
from datetime import timedelta

from bot.bootstrap import App
from bot.channels.inbound import InboundProcessor
from bot.channels.stored import StoredInbound
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.channels.whatsapp.webhook import webhook_router
from services import whatsapp_delivery

log = logging.getLogger(__name__)


def client_from_settings(app: App) -> WhatsAppClient:
    settings = app.settings
    return WhatsAppClient(
        settings.whatsapp_access_token.get_secret_value(),
        settings.whatsapp_phone_number_id,
        settings.whatsapp_api_url,
    )


def build_inbound(app: App, client: WhatsAppClient) -> StoredInbound:
    sender = WhatsAppSender(client, app.settings.media_dir, app.db)
    # A `failed` status for a message Meta had accepted gets the handling a refused send gets (a template instead,
    # back off, mark undeliverable): services/whatsapp_delivery.py.
    adapter = WhatsAppAdapter(client, app.db, sender, on_failed=whatsapp_delivery.failed_after_accept)
    grace = timedelta(seconds=app.settings.reply_grace_seconds)  # answers recorded with their work (inbound.py)
    processor = InboundProcessor(adapter, app.engine(), grace=grace)
    return StoredInbound.configured(processor, lambda item: item, app.settings)  # the stored item is what it reads


class WhatsAppRuntime:
    """bot/channels/registry.py `ChannelRuntime` of WhatsApp: the webhook routes and the drain."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        self.client = client_from_settings(app)
        self.inbound = build_inbound(app, self.client)
        secret = settings.whatsapp_app_secret.get_secret_value() if settings.whatsapp_app_secret else ""
        token = settings.whatsapp_verify_token.get_secret_value() if settings.whatsapp_verify_token else None
        if secret:
            self.router = webhook_router(self.inbound, secret, token)
        else:
            self.router = None
            log.error("WHATSAPP_APP_SECRET is not set: the WhatsApp webhook is off (messages cannot be received)")

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self.inbound.run(stop)  # also what was stored before a restart
        finally:
            await self.client.aclose()
