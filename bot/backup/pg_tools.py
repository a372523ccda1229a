"""pg_dump and pg_restore for a SQLAlchemy PostgreSQL URL.

The password goes to the program through PGPASSWORD in its environment: never on the command line (every user of
the machine can read a process's arguments) and never in a log.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.backup.problems import BackupRefused

_INSTALLED = Path("/usr/lib/postgresql")


def program(name: str) -> str:
    """The program on PATH, else the newest installed under /usr/lib/postgresql/<version>/bin (Debian, Ubuntu)."""
    if found := shutil.which(name):
        return found
    versions = sorted(
        (p for p in _INSTALLED.glob(f"*/bin/{name}") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
    )
    if not versions:
        raise BackupRefused("program_missing", name)
    return str(versions[-1])


def connection(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for libpq programs; the password only in the environment."""
    url = make_url(database_url)
    options = []
    if url.host:
        options += ["--host", url.host]
    if url.port:
        options += ["--port", str(url.port)]
    if url.username:
        options += ["--username", url.username]
    environment = {**os.environ, "PGDATABASE": url.database or ""}
    environment.pop("PGPASSWORD", None)
    if url.password:
        environment["PGPASSWORD"] = url.password
    return options, environment


def dump(database_url: str, out: Path) -> None:
    """A consistent snapshot in pg_dump's custom format (one transaction, whatever is written meanwhile)."""
    options, environment = connection(database_url)
    _run([program("pg_dump"), *options, "--format=custom", "--no-owner", "--file", str(out)], environment)


def restore(database_url: str, dump_file: Path) -> None:
    options, environment = connection(database_url)
    command = [program("pg_restore"), *options, "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, "--single-transaction", "--dbname", environment["PGDATABASE"], str(dump_file)], environment)


def _run(command: list[str], environment: dict[str, str]) -> None:
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        # libpq's messages never hold the password; the redactor masks it anyway should one ever do.
        detail = re.sub(r"\s+", " ", finished.stderr).strip()[:500]
        raise BackupRefused("program_failed", Path(command[0]).name, detail)
