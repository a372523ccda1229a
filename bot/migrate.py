"""Apply Alembic migrations from code (`db upgrade`, `make run`, tests)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from services.private_paths import private_file, sqlite_file

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    # Percent signs in a password would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if (path := sqlite_file(database_url)) is not None:
        private_file(path)  # owner-only before SQLite creates it (see services/private_paths)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
