"""One place that wires settings, program rules and the database; tests build the same thing."""

from collections.abc import Callable
from dataclasses import dataclass

from bot.channels.telegram.links import deep_link
from bot.channels.whatsapp.links import daftar_link, whatsapp_number
from bot.program_clock import Clock, program_clock
from bot.settings import Settings
from handlers.engine import Engine
from handlers.flows import all_flows
from services.db import Database
from services.media import MediaStore
from services.models import utcnow
from services.private_paths import private_dir
from services.program import Program, load_program


@dataclass
class App:
    settings: Settings
    program: Program
    db: Database
    pepper: bytes
    clock: Clock = utcnow  # the program's now: see bot/program_clock.py

    def engine(self) -> Engine:
        """The conversation core with every flow, as each channel runs it."""
        return Engine(
            self.db,
            self.program,
            self.pepper,
            MediaStore(self.settings.media_dir),
            all_flows(),
            clock=self.clock,
            settings={
                "whatsapp_daily_limit": self.settings.whatsapp_daily_limit,
                "invite_links": invite_links(self.settings),
                "web_url": self.settings.public_web_url(),
            },
        )

    async def close(self) -> None:
        await self.db.dispose()


def invite_links(settings: Settings) -> Callable[[str], dict[str, str]]:
    """The one-tap registration links for a code, by channel, as `invite create` prints them (for /rt's invitation
    codes). Telegram's needs TELEGRAM_BOT_USERNAME here: a conversation cannot wait for getMe."""
    username = (settings.telegram_bot_username or "").lstrip("@") or None
    number = whatsapp_number(settings)

    def links(code: str) -> dict[str, str]:
        found = {}
        if username:
            found["telegram"] = deep_link(username, code)
        if number:
            found["whatsapp"] = daftar_link(number, code)
        return found

    return links


def bootstrap(settings: Settings | None = None) -> App:
    """Validate the program file and open the database. Raises ProblemError on a broken program file."""
    settings = settings or Settings()
    program = load_program(settings.program_file)
    private_dir(settings.media_dir)  # the photos of every RT: owner-only, like the database beside them
    return App(
        settings=settings,
        program=program,
        db=Database(settings.database_url),
        pepper=settings.invitation_pepper(),
        clock=program_clock(settings.simulated_start),
    )
