"""Folders and files only the bot's own user may read: the database, the secrets, the photos of 1,583 RTs.

The default umask (022) would leave them readable by every account on the machine. Folders are made 0700 (each
missing parent too: `mkdir -p` would give the parents the umask's mode) and files 0600; a folder or file found
more open than that, from an older install, is tightened and the change logged.
"""

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """One of the bot's own folders (DATA_DIR, MEDIA_DIR): made, or tightened, owner-only."""
    path = Path(path)
    _make_missing(path)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Creates the file empty (owner-only from its first byte) when missing; tightens it when too open.

    Missing folders above it are made owner-only; an existing one is left as it is (it may be the project's
    folder, holding a `kampung_bahagia.db` someone put there)."""
    path = Path(path)
    _make_missing(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (`sqlite+aiosqlite:///data/x.db`); None for other databases and `:memory:`."""
    scheme, _sep, rest = database_url.partition("://")
    if not scheme.startswith("sqlite") or not rest.startswith("/"):
        return None
    path = rest[1:].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _make_missing(path: Path) -> None:
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)  # another process may make it at the same moment
        folder.chmod(DIR_MODE)  # mkdir's mode passes through the umask


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(mode)
        log.info("%s was readable by other users of this machine (mode %o); now %o", path, current, mode)
