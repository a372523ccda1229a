"""One place that wires settings, program rules and the database; tests build the same thing."""

from dataclasses import dataclass

from bot.settings import Settings
from services.db import Database
from services.program import Program, load_program


@dataclass
class App:
    settings: Settings
    program: Program
    db: Database
    pepper: bytes

    async def close(self) -> None:
        await self.db.dispose()


def bootstrap(settings: Settings | None = None) -> App:
    """Validate the program file and open the database. Raises ProblemError on a broken program file."""
    settings = settings or Settings()
    program = load_program(settings.program_file)
    return App(
        settings=settings,
        program=program,
        db=Database(settings.database_url),
        pepper=settings.invitation_pepper(),
    )
