"""bot/channels/whatsapp/links.py: the wa.me link carries the business number in international digits and the
DAFTAR text already typed; what it types registers like the Telegram deep link."""

from urllib.parse import parse_qs, urlsplit

from bot.channels.whatsapp.links import daftar_link, whatsapp_number
from bot.settings import Settings
from handlers.incoming_text import text_incoming
from handlers.messages import Kind


def test_the_link_opens_the_business_chat_with_daftar_and_the_code_typed() -> None:
    settings = Settings(_env_file=None, whatsapp_display_number="+62 (812) 3456-7890")
    link = daftar_link(whatsapp_number(settings), "ABCDEFGH")
    assert link == "https://wa.me/6281234567890?text=DAFTAR%20ABCDEFGH"
    typed = parse_qs(urlsplit(link).query)["text"][0]
    incoming = text_incoming("whatsapp", "6281100000000", typed)
    assert (incoming.kind, incoming.command, incoming.args) == (Kind.COMMAND, "start", "ABCDEFGH")


def test_no_number_no_link() -> None:
    assert whatsapp_number(Settings(_env_file=None)) is None
    assert whatsapp_number(Settings(_env_file=None, whatsapp_display_number="0062 812 3456 7890")) == "6281234567890"
