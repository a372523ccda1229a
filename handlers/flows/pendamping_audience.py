"""The groups a broadcast can go to, as buttons, and the message as its recipients will read it."""

from handlers.i18n import _, use_locale
from handlers.messages import Choice, Reply
from handlers.payload import payload_of
from services.models import RT, Person, Role

# Choice id → (scope, kelompok) of services.broadcasts.
SCOPE_OF = {
    "all": ("assigned", None),
    "city": ("city", None),
    "kel:A": ("kelompok", "A"),
    "kel:B": ("kelompok", "B"),
    "late": ("behind", None),
}


def audience_choices(sender: Person, rts: list[RT]) -> tuple[Choice, ...]:
    if sender.role == Role.ADMIN:
        choices = [Choice("city", _("All RTs in the city"))]
    else:
        choices = [Choice("all", _("All my RTs"))]
    for kelompok in sorted({rt.kelompok for rt in rts}):
        choices.append(Choice(f"kel:{kelompok}", _("Kelompok {kelompok} only", kelompok=kelompok)))
    choices.append(Choice("late", _("RTs behind schedule")))
    return tuple(choices)


def audience_name(choice_id: str) -> str:
    scope, kelompok = SCOPE_OF[choice_id]
    return {
        "assigned": _("all your RTs"),
        "city": _("all RTs in the city"),
        "kelompok": _("the RTs of Kelompok {kelompok}", kelompok=kelompok),
        "behind": _("the RTs behind schedule"),
    }[scope]


def broadcast_text(sender: Person, text: str) -> str:
    """The message with a line saying who sends it, in the current language."""
    if sender.role == Role.ADMIN:
        return _("📢 Message from DPMPPA Kota Jambi ({name}):\n\n{text}", name=sender.nama or "-", text=text)
    return _("📢 Message from your pendamping {name}:\n\n{text}", name=sender.nama or "-", text=text)


def payload_renderer(sender: Person, text: str):
    """For services.broadcasts: each recipient's outbox payload, in the recipient's language."""

    def render(recipient: Person) -> dict:
        with use_locale(recipient.locale):
            return payload_of(Reply(broadcast_text(sender, text)), purpose="pemberitahuan")

    return render
