"""`kampung-bahagia web-login`: the first admin's way in, before anyone has a chat."""

import asyncio

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.app import app
from services import web_sessions
from services.db import Database
from services.models import Person, Role, utcnow

SECRET = "web-login-secret"


def environment(database_url: str, tmp_path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": SECRET,
        "WEB_PUBLIC_URL": "https://kampung.example.go.id/",
        "COLUMNS": "300",
    }


async def _open(database_url: str, token: str) -> Person:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            opened = await web_sessions.redeem_link(session, token, SECRET.encode(), now=utcnow(), actor="test")
            return opened.person
    finally:
        await db.dispose()


async def _people(database_url: str) -> list[tuple[str, str]]:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            return [(p.nama, p.role) for p in await session.scalars(select(Person))]
    finally:
        await db.dispose()


def test_nobody_is_created_without_admin_baru(database_url, tmp_path) -> None:
    result = CliRunner().invoke(app, ["web-login", "--person", "Ani Admin"], env=environment(database_url, tmp_path))
    assert result.exit_code != 0 and "--admin-baru" in result.output
    assert asyncio.run(_people(database_url)) == []


def test_the_first_admin_gets_a_link_that_opens_a_session(database_url, tmp_path) -> None:
    env = environment(database_url, tmp_path)
    result = CliRunner().invoke(app, ["web-login", "--person", "Ani Admin", "--admin-baru"], env=env)
    assert result.exit_code == 0, result.output
    [link] = [line for line in result.output.splitlines() if line.startswith("https://")]
    assert link.startswith("https://kampung.example.go.id/masuk/")
    assert asyncio.run(_people(database_url)) == [("Ani Admin", Role.ADMIN)]
    assert asyncio.run(_open(database_url, link.rsplit("/", 1)[1])).nama == "Ani Admin"
    # Asked again, the same admin gets a new link; no second admin is made.
    again = CliRunner().invoke(app, ["web-login", "--person", "ani admin", "--admin-baru"], env=env)
    assert again.exit_code == 0 and asyncio.run(_people(database_url)) == [("Ani Admin", Role.ADMIN)]
