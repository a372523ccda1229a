"""Links that register in one tap on WhatsApp: `https://wa.me/<number>?text=DAFTAR%20<code>` opens a chat with the
business number with "DAFTAR <code>" already typed; the person only presses send (handlers/incoming_text.py maps
DAFTAR to the same registration as Telegram's /start <code>)."""

from urllib.parse import quote

from bot.settings import Settings, international_digits


def daftar_link(number_digits: str, code: str) -> str:
    return f"https://wa.me/{number_digits}?text={quote(f'DAFTAR {code}', safe='')}"


def whatsapp_number(settings: Settings) -> str | None:
    """The digits of WHATSAPP_DISPLAY_NUMBER for wa.me; None without it (the codes still work typed)."""
    if settings.whatsapp_display_number is None:
        return None
    return international_digits(settings.whatsapp_display_number)
