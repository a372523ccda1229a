"""What each role can do: the commands shown by /bantuan and /menu (and a channel's command list)."""

from handlers.i18n import _
from handlers.messages import Choice, Expect, Reply
from services.models import Role


def role_commands(role: str | None) -> list[tuple[str, str]]:
    """(command, one-line description) for this role, in the current language."""
    general = [
        ("menu", _("show what you can do")),
        ("bantuan", _("help")),
        ("batal", _("cancel what you are doing")),
        ("bahasa", _("change language")),
    ]
    if role is None:
        return [("start", _("register with your invitation code")), *general]
    specific = {
        Role.KETUA_RT: [
            ("kk", _("register the number of KK")),
            ("jadwal", _("your RT's schedule")),
            ("lapor", _("report a stage with photos")),
            ("contoh", _("examples from other RTs")),
            ("laporan", _("what your RT has reported")),
            ("undang_bendahara", _("invite the Pokja treasurer")),
            ("hubungi", _("contact your pendamping")),
        ],
        Role.BENDAHARA: [
            ("dana", _("confirm funds received")),
            ("belanja", _("record spending")),
            ("saldo", _("received, spent, remaining")),
            ("laporan", _("what your RT has reported")),
            ("hubungi", _("contact your pendamping")),
        ],
        Role.PENDAMPING: [
            ("rt", _("your RTs and what is late")),
            ("tinjau", _("review reports")),
            ("siaran", _("send a message to your RTs")),
            ("masuk", _("open the dashboard on a computer")),
        ],
        Role.ADMIN: [
            ("rt", _("RTs and what is late")),
            ("tinjau", _("review reports")),
            ("siaran", _("send a message to RTs")),
            ("masuk", _("open the dashboard on a computer")),
        ],
    }[Role(role)]
    return [*specific, *general]


def role_name(role: str) -> str:
    return {
        Role.KETUA_RT: _("Ketua RT"),
        Role.BENDAHARA: _("Bendahara Pokja"),
        Role.PENDAMPING: _("Pendamping"),
        Role.ADMIN: _("Admin DPMPPA"),
    }[Role(role)]


MENU_PREFIX = "cmd:"


def menu_reply(role: str) -> Reply:
    commands = [(c, d) for c, d in role_commands(role) if c not in ("menu", "batal")]
    return Reply(
        _("What would you like to do?"),
        tuple(Choice(f"{MENU_PREFIX}{command}", f"/{command} — {text}") for command, text in commands),
        Expect.CHOICE,
    )


def help_reply(role: str) -> Reply:
    lines = [f"/{command} — {text}" for command, text in role_commands(role)]
    return Reply(_("You can use:") + "\n" + "\n".join(lines))
