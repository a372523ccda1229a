"""The neutral inbound core with WhatsApp's adapter, fed stored items as the webhook's drain will feed them: a real
engine with every flow on a real database, the real client against the fake Graph API over HTTP.

Webhook payloads are made by the fake (as Meta sends them), split into stored items, put through JSON as the
`inbound_update` column would, and handed to `InboundProcessor.process` one by one in arrival order.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.inbound import InboundProcessor
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.items import split
from bot.channels.whatsapp.payload import parse
from handlers.context import Context
from handlers.engine import Engine
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.flows import all_flows
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services import invitations
from services.db import Database
from services.media import MediaStore
from services.models import RT, ChannelIdentity, Media, OutboxMessage, Person, Role, StageReport
from services.program import Program
from tests.bot.channels.whatsapp.wa_sender import TestSender
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer
from tests.handlers.conftest import load_roster
from tests.handlers.flows.ketua_setup import FEB_10, RT_A, add_reports
from tests.images import jpeg

WA = "6281234567890"
USER_ID = "ID.1234567890123456"


# A question with twelve choices: more than a WhatsApp list holds, so it goes as a numbered text menu.
async def pilih_start(ctx: Context, data: Data) -> Outcome:
    return Goto("tahap")


async def ask_tahap(ctx: Context, data: Data) -> Reply:
    choices = tuple(Choice(f"t{n}", f"Tahap nomor {n}") for n in range(1, 13))
    return Reply("Tahap mana?", choices, Expect.CHOICE)


async def handle_tahap(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind != Kind.CHOICE:
        return Stay("Ketik nomor tahapnya.")
    return Finish((Reply(f"Dipilih: {incoming.choice}"),))


PILIH = Flow("pilih", frozenset({Role.KETUA_RT}), pilih_start, {"tahap": Step(ask_tahap, handle_tahap)})


@dataclass
class WhatsApp:
    server: FakeWhatsAppServer
    processor: InboundProcessor
    db: Database
    pepper: bytes

    async def post(self, payload: dict) -> list[bool]:
        """One webhook POST: its items in order, each through the database's JSON, then what was sent since."""
        results = []
        for stored in split(parse(json.dumps(payload))):
            results.append(await self.processor.process(json.loads(json.dumps(stored.item))))
        return results

    async def say(self, text: str, **kw) -> list[str]:
        before = len(self.server.sent(WA))
        await self.post(self.server.text_webhook(WA, text, **kw))
        return texts(self.server.sent(WA)[before:])

    async def press(self, choice: str) -> list[str]:
        """Press the button or list row of `choice` on the latest interactive message."""
        for body in reversed(self.server.sent(WA)):
            action = (body.get("interactive") or {}).get("action") or {}
            ids = [b["reply"]["id"] for b in action.get("buttons", [])]
            ids += [row["id"] for section in action.get("sections", []) for row in section["rows"]]
            for reply_id in ids:
                if reply_id.split(":", 1)[1] == choice:
                    before = len(self.server.sent(WA))
                    if action.get("buttons"):
                        await self.post(self.server.button_reply_webhook(WA, reply_id))
                    else:
                        await self.post(self.server.list_reply_webhook(WA, reply_id))
                    return texts(self.server.sent(WA)[before:])
        raise AssertionError(f"no button {choice!r}")

    async def invite(self, role: Role = Role.KETUA_RT, rt_kode: str = RT_A) -> str:
        async with self.db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
            issued = await invitations.create_invitation(
                session, self.pepper, role=role, created_by="test", rt=rt, nama="Budi Santoso"
            )
            return issued.code

    async def register(self) -> None:
        assert "terdaftar" in " ".join(await self.say(f"DAFTAR {await self.invite()}")).lower()


def texts(bodies: list[dict]) -> list[str]:
    return [
        (body.get("text") or {}).get("body") or ((body.get("interactive") or {}).get("body") or {}).get("text") or ""
        for body in bodies
    ]


@pytest.fixture
async def whatsapp(database_url: str, program: Program, pepper: bytes, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    db = Database(database_url)
    await load_roster(db, program)
    engine = Engine(
        db, program, pepper, MediaStore(tmp_path / "media"), {**all_flows(), "pilih": PILIH}, clock=lambda: FEB_10
    )
    async with (
        FakeWhatsAppServer() as server,
        WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url) as client,
    ):
        server.inbound(WA)  # the person wrote to us: free-form answers are allowed
        adapter = WhatsAppAdapter(client, db, TestSender(client, db), fetch_backoff=0.01)
        yield WhatsApp(server, InboundProcessor(adapter, engine), db, pepper)
    await db.dispose()


async def test_daftar_with_a_code_registers_and_metas_user_id_is_kept(whatsapp: WhatsApp) -> None:
    code = await whatsapp.invite()
    replies = await whatsapp.say(f"daftar {code.replace('-', '').lower()}", user_id=USER_ID)
    assert "terdaftar" in " ".join(replies).lower()
    async with whatsapp.db.sessions() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == "whatsapp"))
        person = await session.get(Person, identity.person_id)
    assert (identity.external_id, identity.platform_user_id, person.role) == (WA, USER_ID, Role.KETUA_RT)
    assert whatsapp.server.read  # the blue ticks for what was answered


async def test_the_same_message_delivered_twice_is_answered_once(whatsapp: WhatsApp) -> None:
    payload = whatsapp.server.text_webhook(WA, "halo")
    assert await whatsapp.post(payload) == [True]
    sent = len(whatsapp.server.sent(WA))
    assert sent >= 1
    assert await whatsapp.post(payload) == [False]
    assert len(whatsapp.server.sent(WA)) == sent


async def test_a_twelve_choice_question_answered_by_typing_twelve(whatsapp: WhatsApp) -> None:
    await whatsapp.register()
    [menu] = await whatsapp.say("/pilih")
    assert menu.startswith("Tahap mana?") and "12. Tahap nomor 12" in menu
    assert await whatsapp.say("12") == ["Dipilih: t12"]
    # The question is answered: the old menu's numbers are plain text now, not picks.
    replies = await whatsapp.say("3")
    assert "Dipilih" not in " ".join(replies)
    await whatsapp.say("/pilih")
    assert await whatsapp.say("3.") == ["Dipilih: t3"]


async def test_a_number_typed_for_another_question_is_not_read_from_an_old_menu(whatsapp: WhatsApp) -> None:
    await whatsapp.register()
    await whatsapp.say("/pilih")
    replies = await whatsapp.say("/kk")  # leaves the menu's question for one that wants a number
    assert "KK" in " ".join(replies)
    replies = await whatsapp.say("7")
    assert "Dipilih" not in " ".join(replies) and "7 KK" in " ".join(replies)


async def test_a_sticker_gets_a_kind_answer_and_a_reaction_none(whatsapp: WhatsApp) -> None:
    await whatsapp.register()
    before = len(whatsapp.server.sent(WA))
    sticker = {"type": "sticker", "sticker": {"id": "777", "mime_type": "image/webp", "animated": False}}
    await whatsapp.post(whatsapp.server.message_webhook(WA, sticker))
    replies = texts(whatsapp.server.sent(WA)[before:])
    assert replies[0].startswith("Bot tidak bisa membaca pesan suara, stiker")
    before = len(whatsapp.server.sent(WA))
    reaction = {"type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}}
    payload = whatsapp.server.message_webhook(WA, reaction)
    assert await whatsapp.post(payload) == [True]
    assert await whatsapp.post(payload) == [False]  # claimed: a redelivery is not even looked at
    assert len(whatsapp.server.sent(WA)) == before


async def test_a_status_updates_the_outbox_row(whatsapp: WhatsApp) -> None:
    async with whatsapp.db.unit_of_work() as session:
        row = OutboxMessage(
            channel="whatsapp", external_id=WA, payload={"text": "x"}, status="sent", platform_message_id="wamid.OUT9"
        )
        session.add(row)
        await session.flush()
        row_id = row.id
    errors = [{"code": 131049, "title": "This message was not delivered to maintain healthy ecosystem engagement."}]
    assert await whatsapp.post(whatsapp.server.status_webhook("wamid.OUT9", "failed", WA, errors)) == [True]
    assert await whatsapp.post(whatsapp.server.status_webhook("wamid.OUT9", "failed", WA, errors)) == [False]
    async with whatsapp.db.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row.delivery_status == "failed" and row.error.startswith("131049 This message was not delivered")
    assert whatsapp.server.sent(WA) == []  # a status is never answered


async def test_three_photos_in_a_row_to_a_report(whatsapp: WhatsApp) -> None:
    await add_reports(whatsapp.db, RT_A, ["sosialisasi"])
    await whatsapp.register()
    await whatsapp.say("/lapor")
    await whatsapp.press("s:rembuk_warga")
    await whatsapp.press("today")
    await whatsapp.say("45")
    await whatsapp.say("30")
    for n in (1, 2, 3):
        before = len(whatsapp.server.sent(WA))
        await whatsapp.post(whatsapp.server.image_webhook(WA, jpeg(n)))
        assert f"Sudah diterima: {n} foto." in "\n".join(texts(whatsapp.server.sent(WA)[before:]))
    await whatsapp.press("done")
    replies = await whatsapp.press("send")
    assert "menunggu diperiksa" in " ".join(replies)
    async with whatsapp.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StageReport)) == 2
        assert await session.scalar(select(func.count()).select_from(Media)) == 3
    downloads = [c for c in whatsapp.server.calls if c.method == "download"]
    assert len(downloads) == 3


async def test_a_document_over_100_mb_is_refused_before_download(whatsapp: WhatsApp) -> None:
    await whatsapp.register()
    before = len(whatsapp.server.sent(WA))
    await whatsapp.post(whatsapp.server.document_webhook(WA, b"%PDF-1.4", file_size=150 * 1024 * 1024))
    replies = " ".join(texts(whatsapp.server.sent(WA)[before:]))
    assert "terlalu besar" in replies and "100 MB" in replies
    assert not [c for c in whatsapp.server.calls if c.method in ("media_info", "download")]
