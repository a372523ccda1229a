"""The conversation core on its own: commands, languages, old buttons, notification buttons, failures, restarts.

Two small flows defined here drive the engine so these tests do not depend on any real flow's wording.
"""

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from handlers.context import Context
from handlers.engine import Engine
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows import all_flows
from handlers.incoming_text import text_incoming
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services.db import Database
from services.media import MediaStore
from services.models import (
    RT,
    AuditLog,
    ChannelIdentity,
    ConversationState,
    JumlahKKHistory,
    Media,
    OutboxMessage,
    Person,
    Role,
    utcnow,
)
from services.problems import ProblemError
from tests.handlers.chat import Chat, outbox_for
from tests.handlers.flows.ketua_setup import at, photo

RT1 = "15.71.01.1001-001"


async def _rt(ctx: Context) -> RT:
    return await ctx.session.get(RT, ctx.person.rt_id)


async def _change_kk(ctx: Context, value: int) -> None:
    rt = await _rt(ctx)
    ctx.session.add(JumlahKKHistory(rt_id=rt.id, old=rt.jumlah_kk, new=value, source="test"))
    rt.jumlah_kk = value
    await ctx.session.flush()


async def uji_start(ctx: Context, data: Data) -> Outcome:
    return Goto("jumlah")


async def ask_jumlah(ctx: Context, data: Data) -> Reply:
    return Reply("How many KK?", expect=Expect.NUMBER)


async def handle_jumlah(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    text = incoming.text.strip()
    if text == "boom":
        await _change_kk(ctx, 999)  # written, then the step fails: the engine must roll it back
        raise RuntimeError("step failed")
    if text == "masalah":
        await _change_kk(ctx, 998)
        raise ProblemError.one("kk_not_positive", value=0)
    if incoming.kind != Kind.TEXT or not text.isdigit():
        return Stay("Type a number.")
    data["n"] = int(text)
    return Goto("konfirmasi")


async def ask_konfirmasi(ctx: Context, data: Data) -> Reply:
    return Reply(f"Save {data['n']} KK?", (Choice("ya", "Ya"), Choice("tidak", "Tidak")), Expect.CHOICE)


async def handle_konfirmasi(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.choice == "tidak":
        return Finish((Reply("Not saved."),))
    if incoming.choice != "ya":
        return Stay("Press Ya or Tidak.")
    await _change_kk(ctx, data["n"])
    rt = await _rt(ctx)
    if rt.pendamping_id:
        pendamping = await ctx.session.get(Person, rt.pendamping_id)
        await ctx.notify(
            pendamping,
            lambda: Reply("KK changed.", (Choice(action_choice_id("setuju", rt.id), "Setuju"),), Expect.CHOICE),
        )
    return Finish((Reply("Saved."),))


UJI = Flow(
    name="uji",
    roles=frozenset({Role.KETUA_RT}),
    start=uji_start,
    steps={"jumlah": Step(ask_jumlah, handle_jumlah), "konfirmasi": Step(ask_konfirmasi, handle_konfirmasi)},
)


async def tugas_start(ctx: Context, data: Data) -> Outcome:
    return Goto("catatan")


async def ask_catatan(ctx: Context, data: Data) -> Reply:
    return Reply("Write a note.", expect=Expect.TEXT)


async def handle_catatan(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    return Finish((Reply("Noted."),))


async def setuju(ctx: Context, argument: str) -> list[Reply]:
    ctx.session.add(
        AuditLog(person_id=ctx.person.id, actor=ctx.actor, action="test.setuju", entity="rt", entity_id=argument)
    )
    return [Reply(f"Approved for RT {argument}.")]


TUGAS = Flow(
    name="tugas",
    roles=frozenset({Role.PENDAMPING}),
    start=tugas_start,
    steps={"catatan": Step(ask_catatan, handle_catatan)},
    actions={"setuju": setuju},
)


def engine_for(db: Database, world) -> Engine:
    return Engine(
        db, world.program, world.pepper, MediaStore(world.media_root), {**all_flows(), "uji": UJI, "tugas": TUGAS}
    )


@pytest.fixture
async def world(world):
    world.engine = engine_for(world.db, world)
    return world


async def state_of(world, chat: Chat) -> ConversationState:
    async with world.db.unit_of_work() as session:
        return await session.get(ConversationState, (chat.channel, chat.user_id))


async def kk_of(world) -> tuple[int | None, int]:
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        return rt.jumlah_kk, await session.scalar(select(func.count()).select_from(JumlahKKHistory))


async def test_batal_in_a_flow_cancels_and_saves_nothing(world):
    before = await kk_of(world)
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    await chat.send("42")
    replies = await chat.send("/batal")
    assert replies[0].text == "Dibatalkan. Tidak ada yang disimpan."
    assert replies[1].text == "Apa yang ingin dilakukan?" and replies[1].choices
    assert (await state_of(world, chat)).flow is None
    assert await kk_of(world) == before
    # The flow is over: a late answer is not taken as its confirmation.
    replies = await chat.send("ya")
    assert replies[0].text.startswith("Pesan itu tidak dikenali bot.")
    assert await kk_of(world) == before


@pytest.mark.parametrize(
    ("role", "rt", "hint"),
    [
        (Role.KETUA_RT, RT1, "Kirim /lapor dan pilih tahapnya dulu"),
        (Role.BENDAHARA, RT1, "/dana"),
        (Role.PENDAMPING, None, "tidak diperlukan"),
    ],
)
async def test_a_photo_outside_any_conversation_says_where_photos_go(world, role, rt, hint):
    chat = await world.chat(role, rt)
    replies = await chat.send_media(photo(1))
    assert hint in replies[0].text and replies[-1].choices  # then the menu
    async with world.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_batal_with_nothing_to_cancel(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    replies = await chat.send("batal")
    assert replies[0].text == "Tidak ada yang perlu dibatalkan."


async def test_menu_offers_the_roles_commands_as_buttons(world):
    chat = await world.chat(Role.BENDAHARA, RT1)
    await chat.send("/uji")
    replies = await chat.send("/menu")
    (menu,) = replies
    assert menu.text == "Apa yang ingin dilakukan?"
    assert {"cmd:dana", "cmd:belanja", "cmd:saldo", "cmd:bantuan"} <= {c.id for c in menu.choices}
    replies = await chat.press("cmd:bantuan")
    assert replies[0].text.startswith("Perintah yang bisa dipakai:")


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (Role.KETUA_RT, ["/kk", "/jadwal", "/lapor", "/undang_bendahara"], ["/tinjau", "/dana"]),
        (Role.BENDAHARA, ["/dana", "/belanja", "/saldo"], ["/kk", "/siaran"]),
        (Role.PENDAMPING, ["/rt", "/tinjau", "/siaran"], ["/lapor", "/dana"]),
        (Role.ADMIN, ["/rt", "/tinjau", "/siaran"], ["/kk", "/belanja"]),
    ],
)
async def test_bantuan_lists_what_each_role_can_do(world, role, present, absent):
    rt = RT1 if role in (Role.KETUA_RT, Role.BENDAHARA) else None
    chat = await world.chat(role, rt)
    (reply,) = await chat.send("/bantuan")
    commands = {line.split(" ")[0] for line in reply.text.splitlines()[1:]}
    assert set(present) <= commands
    assert not set(absent) & commands
    assert {"/menu", "/bantuan", "/batal", "/bahasa"} <= commands
    assert "bantuan" in reply.text and "batalkan yang sedang diisi" in reply.text


async def test_bantuan_before_registration_asks_for_the_code(world):
    chat = await world.chat()
    replies = await chat.send("/bantuan")
    assert "kode undangan" in replies[0].text


async def test_bahasa_switches_to_english_and_back(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    (question,) = await chat.send("/bahasa")
    assert question.text == "Pilih bahasa:"
    replies = await chat.press("lang:en")
    assert replies[0].text == "Language set to English."
    assert replies[1].text == "What would you like to do?"
    (help_,) = await chat.send("/bantuan")
    assert help_.text.startswith("You can use:")
    replies = await chat.send("/batal")
    assert replies[0].text == "There was nothing to cancel."
    await chat.send("/bahasa")
    replies = await chat.send("klingon")
    assert replies[0].text == "Please choose one of the languages."
    replies = await chat.send("1")
    assert replies[0].text == "Bahasa diganti ke Bahasa Indonesia."
    (help_,) = await chat.send("/bantuan")
    assert help_.text.startswith("Perintah yang bisa dipakai:")
    async with world.db.unit_of_work() as session:
        assert {p.locale for p in await session.scalars(select(Person).where(Person.role == Role.KETUA_RT))} == {"id"}


async def test_language_chosen_before_registration_is_kept(world):
    chat = await world.chat()
    await chat.send("/bahasa")
    replies = await chat.send("english")
    assert replies[0].text == "Language set to English."
    assert "invitation code" in replies[1].text


async def test_unknown_command(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    (reply,) = await chat.send("/terbang sekarang")
    assert reply.text == "Perintah /terbang tidak dikenal. Kirim /bantuan untuk melihat daftar perintah."


async def test_command_of_another_role_is_refused(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    (reply,) = await chat.send("/tugas")
    assert reply.text.startswith("/tugas bukan untuk peran Bapak/Ibu.")
    assert (await state_of(world, chat)).flow is None


async def test_flow_command_before_registration_asks_for_the_code(world):
    chat = await world.chat()
    replies = await chat.send("/uji")
    assert "kode undangan" in replies[0].text


async def test_wrong_answer_stays_on_the_question_and_keeps_buttons_valid(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    replies = await chat.send("42")
    token = replies[-1].token
    replies = await chat.send("mungkin")
    assert [r.text for r in replies] == ["Press Ya or Tidak.", "Save 42 KK?"]
    assert replies[-1].token == token
    await chat.press("ya", token)
    assert (await kk_of(world))[0] == 42


async def test_old_button_is_explained_and_the_current_question_asked(world):
    before = await kk_of(world)
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    first = (await chat.send("5"))[-1]
    await chat.send("/batal")
    await chat.send("/uji")
    await chat.send("7")
    replies = await chat.press("ya", first.token)
    assert replies[0].text == "Tombol itu dari pertanyaan sebelumnya. Ini pertanyaan yang sekarang:"
    assert replies[1].text == "Save 7 KK?" and [c.id for c in replies[1].choices] == ["ya", "tidak"]
    assert await kk_of(world) == before
    await chat.press("ya", replies[1].token)
    assert (await kk_of(world))[0] == 7


async def test_notification_button_works_in_the_middle_of_another_question(world):
    pendamping = await world.chat(Role.PENDAMPING, rts=[RT1])
    ketua = await world.chat(Role.KETUA_RT, RT1)
    await ketua.send("/uji")
    await ketua.send("60")
    await ketua.press("ya")
    (message,) = await outbox_for(world.engine, pendamping.user_id)
    assert message.payload["text"] == "KK changed."
    button = message.payload["choices"][0]["id"]

    await pendamping.send("/tugas")
    replies = await pendamping.press(button, token=None)
    assert [r.text for r in replies] == [f"Approved for RT {button.rsplit(':', 1)[1]}.", "Write a note."]
    assert (await state_of(world, pendamping)).step == "catatan"
    # A stale token does not matter: the button belongs to a notification, not to a question.
    replies = await pendamping.press(button, token=-5)
    assert replies[0].text.startswith("Approved for RT")

    replies = await ketua.press(button, token=None)
    assert replies[0].text == "Tombol ini bukan untuk peran Bapak/Ibu."
    replies = await pendamping.press(action_choice_id("hilang", 1), token=None)
    assert replies[0].text.startswith("Tombol itu sudah tidak berlaku.")
    assert replies[1].text == "Write a note."
    async with world.db.unit_of_work() as session:
        approvals = await session.scalar(select(func.count()).where(AuditLog.action == "test.setuju"))
    assert approvals == 2


async def test_failure_inside_a_step_saves_nothing_and_asks_again(world, caplog):
    before = await kk_of(world)
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    state = await state_of(world, chat)
    with caplog.at_level(logging.ERROR, logger="handlers.engine"):
        replies = await chat.send("boom")
    assert [r.text for r in replies] == [
        "Maaf, terjadi kesalahan dan tidak ada yang tersimpan. Mohon kirim lagi jawabannya.",
        "How many KK?",
    ]
    assert "step failed" in caplog.text
    assert await kk_of(world) == before
    after = await state_of(world, chat)
    assert (after.flow, after.step, after.data, after.version) == (state.flow, state.step, state.data, state.version)
    # The conversation goes on as if nothing happened.
    await chat.send("3")
    await chat.press("ya")
    assert (await kk_of(world))[0] == 3


async def test_a_redelivered_message_is_not_answered_twice(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    delivery = replace(text_incoming(chat.channel, chat.user_id, "3"), update_id="77")
    assert [r.text for r in await world.engine.handle(delivery, chat.fetch)] == ["Save 3 KK?"]
    state = await state_of(world, chat)
    assert await world.engine.handle(delivery, chat.fetch) == []
    again = await state_of(world, chat)
    assert (again.step, again.version) == (state.step, state.version)  # the second copy changed nothing
    other_channel = replace(delivery, channel="whatsapp")  # ids are the channel's own
    assert await world.engine.handle(other_channel, chat.fetch) != []


async def test_a_failed_message_answered_with_sorry_is_not_handled_again(world, caplog):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    delivery = replace(text_incoming(chat.channel, chat.user_id, "boom"), update_id="78")
    with caplog.at_level(logging.ERROR, logger="handlers.engine"):
        assert len(await world.engine.handle(delivery, chat.fetch)) == 2  # sorry, and the question again
    assert await world.engine.handle(delivery, chat.fetch) == []


async def test_refused_by_a_rule_inside_a_step_says_why_and_saves_nothing(world):
    before = await kk_of(world)
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    replies = await chat.send("masalah")
    assert [r.text for r in replies] == ["Jumlah KK paling sedikit 1.", "How many KK?"]
    assert await kk_of(world) == before
    assert (await state_of(world, chat)).step == "jumlah"


async def test_a_new_engine_continues_where_the_person_was(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    question = (await chat.send("64"))[-1]
    # A restart: a new process with its own connection pool and engine, on the same database.
    database = Database(world.db.url)
    try:
        restarted = Chat(engine_for(database, world), chat.user_id, channel=chat.channel)
        replies = await restarted.send("hmm")
        assert [r.text for r in replies] == ["Press Ya or Tidak.", "Save 64 KK?"]
        replies = await restarted.press("ya", question.token)
        assert [r.text for r in replies] == ["Saved."]
    finally:
        await database.dispose()
    assert (await kk_of(world))[0] == 64


async def test_a_step_that_no_longer_exists_starts_over(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    async with world.db.unit_of_work() as session:
        state = await session.get(ConversationState, (chat.channel, chat.user_id))
        state.step = "dihapus"
    replies = await chat.send("12")
    assert replies[0].text == "Percakapan itu sudah berakhir. Silakan pilih lagi dari menu."
    assert (await state_of(world, chat)).flow is None


async def test_unsupported_message_gets_an_answer(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    await chat.send("/uji")
    replies = await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.UNSUPPORTED))
    assert [r.text for r in replies] == ["Type a number.", "How many KK?"]
    async with world.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_unsupported_message_outside_a_flow_says_what_the_bot_reads(world):
    chat = await world.chat(Role.KETUA_RT, RT1)
    replies = await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.UNSUPPORTED))
    assert replies[0].text.startswith("Bot tidak bisa membaca pesan suara, stiker, video, atau kontak.")
    assert "kirim foto atau PDF" in replies[0].text
    assert replies[-1].choices  # the menu: what to do next
    stranger = Chat(world.engine, "stranger")
    replies = await stranger.deliver(Incoming(stranger.channel, stranger.user_id, Kind.UNSUPPORTED))
    assert "kode undangan" in replies[-1].text  # someone new is asked for what to send: the code


async def test_the_registering_message_opens_the_whatsapp_window_on_the_real_clock(world):
    """WhatsApp's 24-hour window is Meta's, on the real clock: a training session's simulated day (the engine's clock
    far in the past here) must not close it, and the message that registers (the code) opens it like any other."""
    at(world, datetime(2026, 2, 10, 3, 0, tzinfo=UTC))
    chat = Chat(world.engine, user_id="6281234500009", channel="whatsapp")
    code = await world.invite(Role.KETUA_RT, RT1)
    before = utcnow()
    await chat.send(f"DAFTAR {code}")
    async with world.db.sessions() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == chat.user_id))
    assert identity.last_inbound_at is not None and identity.last_inbound_at >= before - timedelta(seconds=1)
    async with world.db.unit_of_work() as session:
        stale = utcnow() - timedelta(hours=30)
        (await session.get(ChannelIdentity, identity.id)).last_inbound_at = stale
    await chat.send("/bantuan")
    async with world.db.sessions() as session:
        identity = await session.get(ChannelIdentity, identity.id)
    assert identity.last_inbound_at >= before - timedelta(seconds=1)
