"""Which PostgreSQL the tests use: the server at TEST_POSTGRES_URL if it answers, else a throwaway cluster started
from the installed server programs, else none (the PostgreSQL half is skipped — or fails under REQUIRE_POSTGRES).

A throwaway cluster lives in its own temporary folder (data, unix socket, log, and an `owner.json` naming the pytest
process and the programs' folder), on a free port on 127.0.0.1 only, trust auth, durability off for speed. It is
stopped and removed when the session ends; a session that was killed leaves it behind, so every session first stops
and removes the clusters whose owner process is gone.
"""

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
PROGRAMS = ("initdb", "pg_ctl")
# Debian/Ubuntu keep the server programs off PATH; RHEL/Fedora's PGDG packages in /usr/pgsql-<version>.
PROGRAM_FOLDERS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql*/bin")
FOLDER_PREFIX = "kb-test-postgres-"
HOW_TO_ENABLE = (
    "install PostgreSQL's server programs (e.g. `apt install postgresql`) or set TEST_POSTGRES_URL to a running server"
)


@dataclass(frozen=True)
class UseServer:
    url: str


@dataclass(frozen=True)
class StartCluster:
    programs: Path


@dataclass(frozen=True)
class Skip:
    reason: str


Plan = UseServer | StartCluster | Skip


class PostgresRequired(Exception):
    """REQUIRE_POSTGRES is set and there is no PostgreSQL to test on."""


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether a server listens where `url` points (a TCP port, or a unix socket folder given as `?host=/dir`)."""
    parsed = make_url(url)
    host = parsed.query.get("host") or parsed.host or "localhost"
    host = host[0] if isinstance(host, tuple) else host
    port = parsed.port or 5432
    if host.startswith("/"):
        family, address = socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    else:
        family, address = socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(timeout)
            probe.connect(address)
    except OSError:
        return False
    return True


def _has_programs(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) and (folder / name).is_file() for name in PROGRAMS)


def _version_key(folder: str) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in folder).split()
    return tuple(int(d) for d in digits)


def find_programs(override: str | None) -> Path | None:
    """The folder holding initdb and pg_ctl: `override` alone if given (TEST_POSTGRES_BIN), else PATH's, else the
    newest version in the usual package folders."""
    if override is not None:
        return Path(override) if _has_programs(Path(override)) else None
    candidates = []
    if on_path := shutil.which("initdb"):
        candidates.append(str(Path(on_path).resolve().parent))
    for pattern in PROGRAM_FOLDERS:
        candidates.extend(sorted(glob(pattern), key=_version_key, reverse=True))
    return next((Path(folder) for folder in candidates if _has_programs(Path(folder))), None)


def plan(url: str, programs: Path | None, require: bool) -> Plan:
    """Decide for a session; raises PostgresRequired when it would skip but `require` (REQUIRE_POSTGRES) is set."""
    if answers(url):
        return UseServer(url)
    if programs is not None:
        return StartCluster(programs)
    problem = f"nothing answers at {_where(url)} and no initdb/pg_ctl found"
    if require:
        raise PostgresRequired(f"REQUIRE_POSTGRES is set, but {problem}; {HOW_TO_ENABLE}")
    return Skip(f"no PostgreSQL: {problem}")


def plan_from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> tuple[str, Plan]:
    url = environ.get("TEST_POSTGRES_URL", DEFAULT_URL)
    programs = find_programs(environ.get("TEST_POSTGRES_BIN"))
    return url, plan(url, programs, require=environ.get("REQUIRE_POSTGRES", "") not in ("", "0"))


def _where(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as `postgres` (or `nobody`); else as ourselves (None)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    raise RuntimeError("running as root and there is no `postgres` or `nobody` user to run PostgreSQL as")


def _run(programs: Path, user: str | None, *args: str) -> None:
    # cwd: the server's user may not be allowed into ours.
    result = subprocess.run(
        [str(programs / args[0]), *args[1:]],
        user=user, cwd="/", capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stdout}{result.stderr}")


@dataclass
class Cluster:
    folder: Path
    programs: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop at once (nothing in it is worth a clean shutdown) and remove the folder."""
        _stop_and_remove(self.folder, self.programs, self.user)


def start_cluster(programs: Path, parent: Path | None = None, owner: int | None = None) -> Cluster:
    """initdb + pg_ctl start in a new folder under `parent` (the system's temporary folder by default)."""
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=parent))
    (folder / "owner.json").write_text(json.dumps({"pid": owner or os.getpid(), "programs": str(programs)}))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    try:
        data = folder / "data"
        _run(programs, user, "initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        for attempt in range(3):  # another process may take the free port between our probe and the start
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{folder}' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run(programs, user, "pg_ctl", "start", "-w", "-t", "60", "-D", str(data),
                     "-l", str(folder / "log"), "-o", options)  # fmt: skip
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        return Cluster(folder, programs, port, user)
    except BaseException:
        log = folder / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        _stop_and_remove(folder, programs, user)
        if detail:
            raise RuntimeError(f"throwaway PostgreSQL did not start; its log ends:\n{detail}") from None
        raise


def _stop_and_remove(folder: Path, programs: Path, user: str | None) -> None:
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        with contextlib.suppress(RuntimeError, OSError, subprocess.TimeoutExpired):
            _run(programs, user, "pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(data))
    shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_leftovers(parent: Path | None = None) -> list[Path]:
    """Stop and remove the throwaway clusters whose pytest process is gone (a session killed with SIGKILL)."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = json.loads((folder / "owner.json").read_text())
        except (OSError, ValueError):
            # Half made: the owner file is written first, so only a folder older than a minute is abandoned.
            if time.time() - folder.stat().st_mtime < 60:
                continue
            owner = {"pid": 0, "programs": ""}
        if owner.get("pid") and _alive(owner["pid"]):
            continue
        _stop_and_remove(folder, Path(owner.get("programs") or "/nonexistent"), _server_user())
        removed.append(folder)
    return removed
