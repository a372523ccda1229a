"""Probes of invitation codes and action buttons, as an attacker and a careless user would try them (issue 10).

Every probe runs through the real conversation engine on SQLite and PostgreSQL, each chat in its own unit of work:
simultaneous redemptions of one code, two codes for one seat at the same moment, guessing codes from one chat and
from many, and forged notification buttons. Authorization must hold and a refused attempt must write nothing.
"""

import asyncio
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.engine import Engine
from handlers.flow import action_choice_id
from handlers.flows import all_flows
from handlers.formatting import waktu
from handlers.i18n import _, use_locale
from services import code_attempts
from services.media import MediaStore
from services.models import (
    RT,
    AuditLog,
    ChannelIdentity,
    CodeAttempt,
    ConversationState,
    FundReceipt,
    Invitation,
    JumlahKKHistory,
    KKChangeRequest,
    OutboxMessage,
    Person,
    ReportStatus,
    Role,
    StageReport,
    utcnow,
)
from tests.handlers.chat import Chat
from tests.handlers.conftest import World, load_roster
from tests.handlers.flows.pendamping import RT_1, RT_3, make_report, person_of, press_notification, text_of

SEAT = RT_1  # 15.71.01.1001-001: RT 001 Kel. Simpang IV Sipin, pendamping Dewi Lubis


@pytest.fixture
async def world(db, program, pepper, tmp_path: Path) -> World:
    # Defined here, not in a conftest: tests/security is shared with other modules.
    await load_roster(db, program)
    engine = Engine(db, program, pepper, MediaStore(tmp_path / "media"), all_flows())
    return World(db, program, pepper, engine, tmp_path / "media")


def said(message: str, **params) -> str:
    """A message as the bot says it in Indonesian (so these probes follow wording changes of the catalog)."""
    with use_locale("id"):
        return _(message, **params)


def said_start(message: str, *names: str) -> str:
    """The Indonesian message up to its first placeholder (for messages that name a person or a time)."""
    return said(message, **dict.fromkeys(names, "\x00")).split("\x00")[0]


SORRY = "Sorry, something went wrong and nothing was saved. Please try again."


async def strangers(world: World, count: int) -> list[Chat]:
    return [await world.chat() for _ in range(count)]


async def registrations(world: World) -> dict[str, int]:
    """What redeeming writes: RT seat holders, channel identities, used codes, redemption audit rows."""
    async with world.db.unit_of_work() as session:
        return {
            "holders": await session.scalar(
                select(func.count()).select_from(Person).where(Person.role.in_([Role.KETUA_RT, Role.BENDAHARA]))
            ),
            "identities": await session.scalar(select(func.count()).select_from(ChannelIdentity)),
            "used": await session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.used_at.is_not(None))
            ),
            "redeemed": await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "invitation.redeem")
            ),
        }


# --- single-use codes under concurrency ---------------------------------------------------------------------------


async def test_eight_chats_sending_one_code_at_once_register_one_person(world):
    code = await world.invite(Role.KETUA_RT, SEAT)
    chats = await strangers(world, 8)
    answers = await asyncio.gather(*(chat.send(f"/start {code}") for chat in chats))
    texts = [text_of(replies) for replies in answers]
    winners = [
        t
        for t in texts
        if said_start("Registration successful. {greeting} is registered as {what}.", "greeting", "what") in t
    ]
    assert len(winners) == 1, texts
    just_used = said(
        "This invitation code was just used to register from another account; a code works only once. "
        "If that was not you, please contact the pendamping."
    )
    used = said("This invitation code has already been used. Ask your pendamping for a new one.")
    assert all(t in winners or t.startswith((just_used, used)) for t in texts), texts
    assert not any(said(SORRY) in t for t in texts)
    assert await registrations(world) == {"holders": 1, "identities": 1, "used": 1, "redeemed": 1}
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert (await session.scalar(select(Invitation))).used_by_person_id == identity.person_id


async def test_two_codes_for_one_seat_at_the_same_moment_make_one_ketua_rt(world):
    codes = [await world.invite(Role.KETUA_RT, SEAT) for _ in range(4)]  # e.g. reprinted invitation sheets
    chats = await strangers(world, 4)
    answers = await asyncio.gather(*(chat.send(f"/start {code}") for chat, code in zip(chats, codes, strict=True)))
    texts = [text_of(replies) for replies in answers]
    refused = [t for t in texts if t.startswith(said("This code was not used."))]
    assert len(refused) == 3, texts
    for text in refused:
        # Who holds the seat, by role and name (the winner's Telegram name here), and whom to contact.
        assert "Ketua RT untuk RT 001 Kel. Simpang IV Sipin sudah terdaftar atas nama Tester" in text
        assert "hubungi pendamping" in text
    assert not any(said(SORRY) in t for t in texts)
    assert await registrations(world) == {"holders": 1, "identities": 1, "used": 1, "redeemed": 1}
    async with world.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0  # real codes, not guesses


# --- guessing codes -----------------------------------------------------------------------------------------------


async def test_five_wrong_codes_lock_one_chat_for_an_hour_and_only_that_chat(world):
    attacker, other = await strangers(world, 2)
    for guess in ("AAAA-AAAA", "CCCC-CCCC", "DDDD-DDDD", "EEEE-EEEE", "FFFF-FFFF"):
        assert said("This invitation code is not known. Check the letters and numbers and try again.") in text_of(
            await attacker.send(guess)
        )
    code = await world.invite(Role.KETUA_RT, SEAT)
    locked = said_start("Too many wrong codes. For your safety, please try again after {time}.", "time")
    for attempt in (f"/start {code}", "/batal", code):  # a right code is not even checked; /batal does not reset
        replies = await attacker.send(attempt)
        assert attempt == "/batal" or locked in text_of(replies)
    assert (await registrations(world))["used"] == 0
    assert "Pendaftaran berhasil" in text_of(await other.send(code))


async def test_guessing_from_many_chats_is_stopped_by_the_hourly_ceiling(world, caplog):
    now = utcnow()
    world.engine.clock = lambda: now
    ceiling = code_attempts.MAX_WRONG_PER_HOUR
    # Most of the hour's guesses already made (from 90 accounts); ten more accounts make the last fifty.
    async with world.db.unit_of_work() as session:
        for n in range(ceiling - 50):
            at = now - timedelta(minutes=45) + timedelta(seconds=n)
            session.add(CodeAttempt(channel="test", user_id=f"earlier{n % 90}", at=at))
    attackers = await strangers(world, 11)
    code = await world.invite(Role.KETUA_RT, SEAT)
    honest = await world.chat()
    with caplog.at_level(logging.WARNING):
        for attacker in attackers[:10]:
            for n in range(5):
                await attacker.send(f"/start AAAA-AAA{'ACDEF'[n]}")
        paused = [text_of(await attackers[10].send("/start AAAA-AAAA")), text_of(await honest.send(f"/start {code}"))]
    ceiling_warnings = [
        r for r in caplog.records if r.name == "services.code_attempts" and r.levelno == logging.WARNING
    ]
    assert len(ceiling_warnings) == 1
    # The oldest guess of the hour (45 minutes ago) ages out in 15 minutes: codes are checked again from then.
    until = now + timedelta(minutes=15)
    for text in paused:
        assert text == said(
            "Too many code attempts in the last hour. For safety, codes are not checked until {time}. "
            "Please send the code again after that time.",
            time=waktu(until),
        )
    async with world.db.unit_of_work() as session:
        counted = await session.scalar(select(func.count()).select_from(CodeAttempt))
    assert counted == ceiling  # while paused, codes are not checked and not counted
    assert (await registrations(world))["used"] == 0
    # Once the oldest guesses of the hour age out, codes are checked again.
    world.engine.clock = lambda: until + timedelta(seconds=1)
    assert "Pendaftaran berhasil" in text_of(await honest.send(f"/start {code}"))


# --- forged action buttons ----------------------------------------------------------------------------------------


async def state_of_everything(world) -> dict:
    """Every row a button could change: reports, KK changes and counts, messages out, audit, conversation states."""
    async with world.db.unit_of_work() as session:
        return {
            "reports": list(
                await session.execute(select(StageReport.id, StageReport.status, StageReport.reviewed_by_id))
            ),
            "kk_requests": list(await session.execute(select(KKChangeRequest.id, KKChangeRequest.status))),
            "kk": list(await session.execute(select(RT.kode, RT.jumlah_kk).order_by(RT.kode))),
            "kk_history": await session.scalar(select(func.count()).select_from(JumlahKKHistory)),
            "outbox": await session.scalar(select(func.count()).select_from(OutboxMessage)),
            "audit": await session.scalar(select(func.count()).select_from(AuditLog)),
            "flows": list(await session.execute(select(ConversationState.user_id, ConversationState.flow))),
        }


async def _rt_1_with_a_report_and_a_kk_request(world) -> tuple[Chat, int, int]:
    """RT 1's Ketua RT, a report waiting for review and a KK change waiting for its pendamping (Dewi Lubis)."""
    ketua = await world.chat(Role.KETUA_RT, RT_1)
    report_id = await make_report(world, RT_1, "sosialisasi", await person_of(world, ketua))
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT_1))
        session.add(
            FundReceipt(rt_id=rt.id, amount=70_000_000, received_on=date(2026, 4, 10), recorded_by_id=rt.pendamping_id)
        )
    await ketua.send("/kk")
    await ketua.send("120")
    await ketua.press("save")
    async with world.db.unit_of_work() as session:
        request_id = await session.scalar(select(KKChangeRequest.id))
    return ketua, report_id, request_id


async def _pendamping(world, nama: str) -> Chat:
    async with world.db.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.nama == nama))
    return await world.chat(Role.PENDAMPING, person=person)


async def test_a_pendamping_cannot_decide_for_an_rt_not_assigned_to_them(world):
    _ketua, report_id, request_id = await _rt_1_with_a_report_and_a_kk_request(world)
    rudi = await _pendamping(world, "Rudi Saputra")  # pendamping of RT 3 only
    before = await state_of_everything(world)
    forged = {
        action_choice_id("tinjau", report_id): said(
            "This report belongs to an RT that is not assigned to you. Nothing was changed."
        ),
        action_choice_id("kk_ok", request_id): said(
            "This request is for an RT you do not accompany, so you cannot decide it."
        ),
        action_choice_id("kk_no", request_id): said(
            "This request is for an RT you do not accompany, so you cannot decide it."
        ),
    }
    for choice, refusal in forged.items():
        assert refusal in text_of(await press_notification(rudi, choice)), choice
    assert await state_of_everything(world) == before


async def test_the_report_card_buttons_cannot_be_pointed_at_another_rts_report(world):
    _ketua, report_id, _request_id = await _rt_1_with_a_report_and_a_kk_request(world)
    ketua_3 = await world.chat(Role.KETUA_RT, RT_3)
    own = await make_report(world, RT_3, "sosialisasi", await person_of(world, ketua_3))
    rudi = await _pendamping(world, "Rudi Saputra")
    await rudi.send("/tinjau")  # shows RT 3's report, the only one in Rudi's queue
    before = await state_of_everything(world)
    other_report = said("That button belongs to another report. Please use the buttons of the report below.")
    for forged in (f"ok:{report_id}", f"back:{report_id}", f"skip:{report_id}"):
        assert other_report in text_of(await rudi.press(forged)), forged
    assert await state_of_everything(world) == before
    async with world.db.unit_of_work() as session:
        assert (await session.get(StageReport, report_id)).status == ReportStatus.MENUNGGU_TINJAUAN
        assert (await session.get(StageReport, own)).status == ReportStatus.MENUNGGU_TINJAUAN


async def test_made_up_and_malformed_button_arguments_change_nothing(world):
    await _rt_1_with_a_report_and_a_kk_request(world)
    dewi = await _pendamping(world, "Dewi Lubis")
    before = await state_of_everything(world)
    gone = said("This report no longer exists.")
    invalid = said("That button is no longer valid.")
    probes = {
        action_choice_id("tinjau", 987654): gone,
        action_choice_id("tinjau", "abc"): invalid,
        action_choice_id("tinjau", "-1"): invalid,
        action_choice_id("tinjau", ""): invalid,
        action_choice_id("kk_ok", 987654): invalid,
        action_choice_id("kk_no", "1 OR 1=1"): invalid,
        action_choice_id("kk_ok", "-1"): invalid,
        action_choice_id("no_such_action", 1): invalid,
        "act:": invalid,
    }
    for choice, answer in probes.items():
        text = text_of(await press_notification(dewi, choice))
        assert answer in text and said(SORRY) not in text, (choice, text)
    assert await state_of_everything(world) == before


async def test_a_ketua_rt_pressing_a_pendampings_buttons_is_refused(world):
    ketua, report_id, request_id = await _rt_1_with_a_report_and_a_kk_request(world)
    bendahara = await world.chat(Role.BENDAHARA, RT_1)
    before = await state_of_everything(world)
    for chat in (ketua, bendahara):
        for choice in (
            action_choice_id("tinjau", report_id),
            action_choice_id("kk_ok", request_id),
            action_choice_id("kk_no", request_id),
        ):
            assert said("This button is not for you.") in text_of(await press_notification(chat, choice))
        # The review card's own button, pressed outside /tinjau, does nothing either.
        text = text_of(await press_notification(chat, f"ok:{report_id}"))
        assert said(SORRY) not in text and said("This button is not for you.") not in text
    assert await state_of_everything(world) == before
