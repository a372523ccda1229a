"""The web app as `kampung-bahagia web` serves it (uvicorn on a free port of 127.0.0.1), with the dashboard, on
one test database; and people who sign in to it the way they do: a link from the bot, opened in a browser.

`Dashboard.browser(person)` is an httpx client holding that person's session cookie (a signed-in browser);
`Dashboard.browser()` one without a session.

`running(..., telegram=fake)` also runs the delivery worker (bot/delivery/part.py, as `kampung-bahagia worker`
does) sending through the fake Telegram Bot API server (tests/fakes/telegram_api.py): what the dashboard's actions
put in the outbox reaches people's chats there.
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.bootstrap import App
from bot.delivery import part as delivery
from bot.settings import Settings
from bot.web import serve
from services import web_sessions
from services.db import Database
from services.models import RT, Person, Role
from services.program import Program
from tests.bot.test_processes import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.handlers.conftest import load_roster

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry (as a browser would post it back)."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Dashboard:
    app: App
    base_url: str
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.base_url, headers={"accept": "text/html"})
        self.clients.append(client)
        return client

    async def link_for(self, person: Person) -> str:
        """What /masuk sends this person: the path of a fresh one-time sign-in link."""
        async with self.app.db.unit_of_work() as session:
            fresh = await session.get(Person, person.id)
            token = await web_sessions.issue_link(session, fresh, self.app.pepper, now=self.app.clock(), actor="test")
        return web_sessions.LINK_PATH + token

    async def signed_in(self, person: Person) -> httpx.AsyncClient:
        client = self.browser()
        response = await client.get(await self.link_for(person))
        assert response.status_code == 303, response.text
        return client

    async def person(self, nama: str) -> Person:
        async with self.app.db.unit_of_work() as session:
            return await session.scalar(select(Person).where(Person.nama == nama))

    async def add_person(self, nama: str, role: Role, rt_kode: str | None = None) -> Person:
        async with self.app.db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == rt_kode)) if rt_kode else None
            person = Person(nama=nama, role=role, rt_id=rt.id if rt else None)
            session.add(person)
            await session.flush()
            return person


def dashboard_settings(database_url: str, tmp_path: Path, **extra) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        media_dir=tmp_path / "media",
        web_port=free_port(),
        **extra,
    )


@contextlib.asynccontextmanager
async def running(
    database_url: str,
    tmp_path: Path,
    program: Program,
    pepper: bytes,
    *,
    telegram: FakeTelegramServer | None = None,
    **extra,
) -> AsyncIterator[Dashboard]:
    """The web app serving the dashboard on the small test roster (tests/handlers/conftest.py: RTs of Dewi Lubis
    and Rudi Saputra), with an admin, Ani Admin. With `telegram`, the delivery worker runs beside it, sending as
    the bot through that fake server."""
    if telegram is not None:
        extra = {"telegram_bot_token": DEFAULT_TOKEN, "telegram_api_url": telegram.base_url, **extra}
    settings = dashboard_settings(database_url, tmp_path, **extra)
    db = Database(database_url)
    await load_roster(db, program)
    app = App(settings, program, db, pepper)
    dashboard = Dashboard(app, f"http://127.0.0.1:{settings.web_port}")
    await dashboard.add_person("Ani Admin", Role.ADMIN)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(serve(app, stop))]
    if telegram is not None:
        tasks.append(asyncio.create_task(delivery.part(app, stop)))
    try:
        async with httpx.AsyncClient(base_url=dashboard.base_url) as probe:
            for _ in range(200):
                with contextlib.suppress(httpx.ConnectError):
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield dashboard
    finally:
        for client in dashboard.clients:
            await client.aclose()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        await db.dispose()
