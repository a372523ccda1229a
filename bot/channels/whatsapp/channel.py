"""WhatsApp as a configured channel (bot/channels/registry.py): on when WHATSAPP_ACCESS_TOKEN and
WHATSAPP_PHONE_NUMBER_ID are both set."""

from bot.bootstrap import App
from bot.channels.registry import ChannelType, register
from bot.channels.whatsapp.delivery import PolicySettings, policy_factory
from bot.channels.whatsapp.sender import CHANNEL, WhatsAppSender
from bot.delivery.worker import WorkerConfig

# PLATFORM_LIMITS.md: 80 messages a second per business number by default (130429 past it), and about one message
# every 6 seconds to the same person (131056 past it).
PER_SECOND = 80.0
PER_PERSON_PER_SECOND = 1 / 6


def configured(app: App) -> bool:
    return app.settings.whatsapp_on


def sender(app: App) -> WhatsAppSender:
    from bot.channels.whatsapp.client import WhatsAppClient

    settings = app.settings
    client = WhatsAppClient(
        settings.whatsapp_access_token.get_secret_value(),
        settings.whatsapp_phone_number_id,
        api_url=settings.whatsapp_api_url,
    )
    return WhatsAppSender(client, settings.media_dir, app.db)


def limits(app: App) -> WorkerConfig:
    policy = PolicySettings(daily_limit=app.settings.whatsapp_daily_limit)
    return WorkerConfig(
        per_second=PER_SECOND,
        per_chat_per_second=PER_PERSON_PER_SECOND,
        policy=policy_factory(policy),
        account=f"{CHANNEL}:{app.settings.whatsapp_phone_number_id}",  # the number's send lease (bot/delivery/lease.py)
    )


def runtime(app: App):
    from bot.channels.whatsapp.runtime import WhatsAppRuntime  # the webhook side: written by the lead

    return WhatsAppRuntime(app)


WHATSAPP = register(
    ChannelType(code="WA", channel=CHANNEL, configured=configured, sender=sender, limits=limits, runtime=runtime)
)
