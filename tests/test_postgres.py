"""Tests on any fresh machine: which PostgreSQL a session uses, a real throwaway cluster, and what the session says."""

import asyncio
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests import postgres

ROOT = Path(__file__).resolve().parent.parent


def _url(port: int) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


@pytest.fixture
def listening_port() -> Iterator[int]:
    # Not the real server: a socket of our own that accepts connections is all "answers" needs.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def fake_programs(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in postgres.PROGRAMS:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(stat.S_IRWXU)
    return folder


def test_a_server_that_answers_is_used(listening_port: int, fake_programs: Path) -> None:
    assert postgres.plan(_url(listening_port), fake_programs, require=True) == postgres.UseServer(_url(listening_port))


def test_no_server_but_the_programs_starts_a_cluster(closed_port: int, fake_programs: Path) -> None:
    assert postgres.plan(_url(closed_port), fake_programs, require=True) == postgres.StartCluster(fake_programs)


def test_neither_skips_and_says_why(closed_port: int, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    programs = postgres.find_programs(str(empty))
    assert programs is None
    decision = postgres.plan(_url(closed_port), programs, require=False)
    assert isinstance(decision, postgres.Skip)
    assert f"127.0.0.1:{closed_port}" in decision.reason and "initdb" in decision.reason


def test_neither_under_require_postgres_is_an_error(closed_port: int) -> None:
    with pytest.raises(postgres.PostgresRequired, match=r"REQUIRE_POSTGRES is set.*install.*TEST_POSTGRES_URL"):
        postgres.plan(_url(closed_port), None, require=True)


def test_the_environment_names_url_programs_and_requirement(closed_port: int, fake_programs: Path) -> None:
    environ = {"TEST_POSTGRES_URL": _url(closed_port), "TEST_POSTGRES_BIN": str(fake_programs), "REQUIRE_POSTGRES": "1"}
    assert postgres.plan_from_environment(environ) == (_url(closed_port), postgres.StartCluster(fake_programs))
    environ["TEST_POSTGRES_BIN"] = "/nonexistent"
    with pytest.raises(postgres.PostgresRequired):
        postgres.plan_from_environment(environ)
    environ["REQUIRE_POSTGRES"] = "0"
    assert isinstance(postgres.plan_from_environment(environ)[1], postgres.Skip)


def test_a_folder_with_only_one_program_is_not_enough(fake_programs: Path) -> None:
    (fake_programs / "pg_ctl").unlink()
    assert postgres.find_programs(str(fake_programs)) is None


def test_leftovers_of_a_dead_session_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    dead = tmp_path / f"{postgres.FOLDER_PREFIX}dead"
    live = tmp_path / f"{postgres.FOLDER_PREFIX}live"
    for folder, pid in ((dead, dead_pid.pid), (live, os.getpid())):
        (folder / "data").mkdir(parents=True)
        (folder / "owner.json").write_text(f'{{"pid": {pid}, "programs": "/nonexistent"}}')
    assert postgres.sweep_leftovers(tmp_path) == [dead]
    assert not dead.exists() and live.exists()


def test_a_real_throwaway_cluster_starts_answers_and_is_removed() -> None:
    programs = postgres.find_programs(os.environ.get("TEST_POSTGRES_BIN"))
    if programs is None:
        pytest.skip(f"no initdb/pg_ctl: {postgres.HOW_TO_ENABLE}")
    # The system's temporary folder, not tmp_path: as root the server runs as `postgres`, who may not enter tmp_path.
    cluster = postgres.start_cluster(programs)
    try:
        assert cluster.folder.is_dir()

        async def select_one() -> int:
            engine = create_async_engine(cluster.url)
            try:
                async with engine.connect() as connection:
                    return (await connection.execute(text("SELECT 1"))).scalar_one()
            finally:
                await engine.dispose()

        assert asyncio.run(select_one()) == 1
    finally:
        cluster.stop()
    assert not postgres.answers(cluster.url)
    assert not cluster.folder.exists()


def _pytest(closed_port: int, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "REQUIRE_POSTGRES"}
    env |= {"TEST_POSTGRES_URL": _url(closed_port), "TEST_POSTGRES_BIN": "/nonexistent", **environ}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/services/test_migrations.py",
               "-k", "stairway and postgresql"]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.slow
def test_a_session_without_postgresql_skips_with_one_summary_line(closed_port: int) -> None:
    result = _pytest(closed_port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    summary = [line for line in result.stdout.splitlines() if line.startswith("PostgreSQL half skipped (1 tests)")]
    assert len(summary) == 1 and "install" in summary[0] and "TEST_POSTGRES_URL" in summary[0], result.stdout


@pytest.mark.slow
def test_a_session_without_postgresql_fails_at_once_under_require_postgres(closed_port: int) -> None:
    result = _pytest(closed_port, REQUIRE_POSTGRES="1")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "REQUIRE_POSTGRES is set" in result.stderr
    assert "passed" not in result.stdout and "skipped" not in result.stdout
