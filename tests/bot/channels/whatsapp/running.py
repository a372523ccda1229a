"""The WhatsApp channel running as `kampung-bahagia run` runs it, in this process, against the fake Graph API:
the channels' part (bot/channels/registry.py: the WhatsApp runtime's webhook routes served by the real web app on a
free port with uvicorn, and its drain) and the delivery part (bot/delivery/part.py: the outbox worker with
WhatsApp's sender, limits and policy, and the broadcast reporter), both built from an `App` whose settings point
at the fake. The fake posts SIGNED webhooks to the web app over real HTTP on 127.0.0.1, as Meta does.

Helpers talk to it as people on their phones: `say` (a text), `press` (a button or list row the bot sent),
`image`; each returns what the bot sent that person once the webhook's stored updates are all handled.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.registry import part as channels_part
from bot.channels.whatsapp.webhook import PATH
from bot.delivery.part import part as delivery_part
from bot.program_clock import Clock
from bot.settings import Settings
from services import invitations
from services.db import Database
from services.models import RT, InboundUpdate, Person, Role, utcnow
from services.program import Program
from tests.bot.test_processes import free_port
from tests.fakes.whatsapp_api import (
    DEFAULT_APP_SECRET,
    DEFAULT_DISPLAY_NUMBER,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    FakeWhatsAppServer,
)

VERIFY_TOKEN = "kampung-verify-token"


def whatsapp_settings(database_url: str, tmp_path: Path, fake: FakeWhatsAppServer, **extra) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        media_dir=tmp_path / "media",
        secret_key="wa-e2e-secret",
        whatsapp_access_token=DEFAULT_TOKEN,
        whatsapp_phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        whatsapp_app_secret=DEFAULT_APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_api_url=fake.api_url,
        whatsapp_display_number=DEFAULT_DISPLAY_NUMBER,
        web_port=free_port(),
        inbound_lease_seconds=5,
        **extra,
    )


def texts(bodies: list[dict]) -> str:
    """What a person reads in the messages the bot sent: text, interactive bodies, template parameters."""
    lines = []
    for body in bodies:
        if "text" in body:
            lines.append(body["text"]["body"])
        elif "interactive" in body:
            lines.append(body["interactive"]["body"]["text"])
        elif "template" in body:
            for component in body["template"].get("components") or []:
                lines += [p.get("text", "") for p in component.get("parameters") or []]
        elif body.get("type") in ("image", "document"):
            lines.append(body[body["type"]].get("caption", ""))
    return "\n".join(lines)


def reply_ids(body: dict) -> dict[str, str]:
    """The button / list row ids of an interactive message, by their title."""
    action = (body.get("interactive") or {}).get("action") or {}
    ids = {b["reply"]["title"]: b["reply"]["id"] for b in action.get("buttons", [])}
    ids |= {row["title"]: row["id"] for section in action.get("sections", []) for row in section["rows"]}
    return ids


@dataclass
class WhatsAppBot:
    fake: FakeWhatsAppServer
    app: App
    url: str  # the webhook's URL on the running web app

    @property
    def db(self) -> Database:
        return self.app.db

    async def post(self, payload: dict, **kw) -> int:
        status, _text = await self.fake.post_webhook(self.url, payload, **kw)
        return status

    async def deliver(self, wa: str, payload: dict) -> list[dict]:
        """Post a signed webhook from `wa`, wait until every stored update is handled; what `wa` got since."""
        before = len(self.fake.sent(wa))
        assert await self.post(payload) == 200
        await self.handled()
        return self.fake.sent(wa)[before:]

    async def handled(self, timeout: float = 30.0) -> None:
        """Every stored webhook update handled by the drain (its direct answers are out by then)."""
        async with asyncio.timeout(timeout):
            while True:
                async with self.db.sessions() as session:
                    waiting = await session.scalar(
                        select(func.count()).select_from(InboundUpdate).where(InboundUpdate.done_at.is_(None))
                    )
                if waiting == 0:
                    return
                await asyncio.sleep(0.02)

    async def say(self, wa: str, text: str, **kw) -> list[dict]:
        return await self.deliver(wa, self.fake.text_webhook(wa, text, **kw))

    async def image(self, wa: str, content: bytes) -> list[dict]:
        return await self.deliver(wa, self.fake.image_webhook(wa, content))

    def latest_interactive(self, wa: str, title: str, *, on: dict | None = None) -> tuple[dict, str]:
        """The bot's latest interactive message to `wa` with a button or row whose title contains `title`."""
        for body in [on] if on is not None else reversed(self.fake.sent(wa)):
            for shown, reply_id in reply_ids(body).items():
                if title.lower() in shown.lower():
                    return body, reply_id
        raise AssertionError(f"no button or row {title!r} sent to {wa}")

    async def press(self, wa: str, title: str, *, on: dict | None = None) -> list[dict]:
        """Press the button (or pick the list row) whose title contains `title`, with the id the bot sent."""
        body, reply_id = self.latest_interactive(wa, title, on=on)
        if body["interactive"]["type"] == "button":
            return await self.deliver(wa, self.fake.button_reply_webhook(wa, reply_id))
        return await self.deliver(wa, self.fake.list_reply_webhook(wa, reply_id))

    async def until(self, wa: str, fragment: str, timeout: float = 30.0) -> dict:
        """The first message to `wa` containing `fragment` (the outbox worker sends notifications later)."""
        deadline = time.monotonic() + timeout
        while True:
            for body in self.fake.sent(wa):
                if fragment in texts([body]):
                    return body
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing with {fragment!r} to {wa}; got:\n{texts(self.fake.sent(wa))}")
            with contextlib.suppress(TimeoutError):
                await self.fake.wait_for_sent(len(self.fake.sent(wa)) + 1, timeout=0.2, to=wa)

    async def invite(self, role: Role, rt_kode: str | None = None, person: Person | None = None) -> str:
        """A code as `kampung-bahagia invite create` makes it (services/invitations.py), printed as ABCD-EFGH."""
        async with self.db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == rt_kode)) if rt_kode else None
            issued = await invitations.create_invitation(
                session, self.app.pepper, role=role, created_by="cli", rt=rt, person=person
            )
            return invitations.display_code(issued.code)

    async def register(self, wa: str, role: Role, rt_kode: str | None = None, person: Person | None = None) -> None:
        code = await self.invite(role, rt_kode, person)
        assert "terdaftar" in texts(await self.say(wa, f"DAFTAR {code}")).lower()


async def wait_until(check: Callable[[], object], timeout: float = 30.0, every: float = 0.05) -> object:
    """Poll an async `check` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(every)
        return found


@contextlib.asynccontextmanager
async def running_whatsapp(
    database_url: str,
    program: Program,
    pepper: bytes,
    tmp_path: Path,
    fake: FakeWhatsAppServer,
    clock: Clock = utcnow,
    **settings,
) -> AsyncIterator[WhatsAppBot]:
    """The channels' part and the delivery part of `kampung-bahagia run`, until the block ends (then stopped as
    SIGINT stops them: `stop` set, each part finishing what it holds)."""
    app = App(whatsapp_settings(database_url, tmp_path, fake, **settings), program, Database(database_url), pepper)
    app.clock = clock
    stop = asyncio.Event()
    parts = [asyncio.create_task(channels_part(app, stop)), asyncio.create_task(delivery_part(app, stop))]
    base = f"http://127.0.0.1:{app.settings.web_port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            async with asyncio.timeout(60):  # the first start imports the channel modules (pydantic schemas)
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    for task in parts:
                        if task.done():
                            task.result()  # a part that died at start: its error, not a timeout
                    await asyncio.sleep(0.05)
        yield WhatsAppBot(fake, app, base + PATH)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*parts, return_exceptions=True), 20)
        await app.db.dispose()
