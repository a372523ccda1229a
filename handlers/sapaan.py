"""How the bot addresses a person: "Bapak/Ibu <nama>" (BAHASA.md: polite, never "Anda")."""

from handlers.i18n import _
from services.models import Person


def sapaan(person: Person | None) -> str:
    """`Bapak/Ibu Budi Santoso`, or `Bapak/Ibu` alone while the name is not known."""
    if person is not None and person.nama:
        return _("Mr/Ms {name}", name=person.nama)
    return _("Mr/Ms")
