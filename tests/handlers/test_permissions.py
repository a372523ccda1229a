"""Who may use what: every command and notification button for every role, and no RT's data for another RT.

Parametrized over the flows registered at collection time, so a new flow is checked as soon as it exists.
"""

import pytest
from sqlalchemy import func, select

from handlers.flow import action_choice_id
from handlers.flows import all_flows
from handlers.i18n import _, use_locale
from handlers.menu import role_commands
from services.models import RT, AuditLog, ConversationState, OutboxMessage, Person, ReportStatus, Role, StageReport
from tests.handlers.flows.pendamping import RT_1, RT_2, make_report, person_of, press_notification, report, text_of

FLOWS = all_flows()
# The commands the issue asks for; the matrix below covers whichever of them (and any other flow) exists.
EXPECTED_COMMANDS = {"kk", "jadwal", "lapor", "undang_bendahara", "dana", "belanja", "saldo", "rt", "tinjau", "siaran"}
ROLES = ("ketua_rt", "bendahara", "pendamping", "admin", "unregistered")
# (role, action) for every notification button and every role its flow does not allow.
REFUSED_ACTIONS = sorted(
    (role, name) for flow in FLOWS.values() for name in flow.actions for role in ROLES if role not in flow.roles
)
SECRET = "RAHASIA-RT-DUA"


def refusal(command: str) -> str:
    with use_locale("id"):
        return _("/{command} is not available for your role. Send /bantuan to see what you can do.", command=command)


async def chat_as(world, role: str):
    if role == "unregistered":
        return await world.chat()
    if role == "pendamping":
        async with world.db.unit_of_work() as session:
            dewi = await session.scalar(select(Person).where(Person.nama == "Dewi Lubis"))
        return await world.chat(Role.PENDAMPING, person=dewi)
    if role == "admin":
        return await world.chat(Role.ADMIN)
    return await world.chat(Role(role), RT_1)


async def state_of(world, chat) -> ConversationState:
    async with world.db.unit_of_work() as session:
        return await session.get(ConversationState, (chat.channel, chat.user_id))


def test_every_command_of_the_issue_has_a_flow():
    assert sorted(EXPECTED_COMMANDS - set(FLOWS)) == []


def test_refusal_is_indonesian():
    assert "bukan untuk peran Bapak/Ibu" in refusal("rt")


@pytest.mark.parametrize("command", sorted(FLOWS))
@pytest.mark.parametrize("role", ROLES)
async def test_command_is_refused_exactly_when_the_role_is_not_allowed(world, role, command):
    chat = await chat_as(world, role)
    replies = await chat.send(f"/{command}")
    text = text_of(replies)
    allowed = role in FLOWS[command].roles
    if role == "unregistered":
        # Someone we do not know is asked for their invitation code instead.
        assert "kode undangan" in text and refusal(command) not in text
    else:
        assert (refusal(command) in text) is not allowed, text
    if not allowed:
        assert (await state_of(world, chat)).flow is None


@pytest.mark.parametrize(("role", "action"), REFUSED_ACTIONS)
async def test_notification_buttons_are_refused_to_other_roles(world, role, action):
    chat = await chat_as(world, role)
    replies = await press_notification(chat, action_choice_id(action, 1))
    assert "Tombol ini bukan untuk peran Bapak/Ibu." in text_of(replies)


@pytest.mark.parametrize("role", ["ketua_rt", "bendahara", "pendamping", "admin"])
def test_menu_offers_only_commands_the_role_may_use(role):
    with use_locale("id"):
        offered = [command for command, _text in role_commands(role) if command in FLOWS]
    assert [command for command in offered if role not in FLOWS[command].roles] == []


async def test_pendamping_cannot_review_another_pendampings_rt(world):
    ketua = await world.chat(Role.KETUA_RT, RT_1)
    report_id = await make_report(world, RT_1, "sosialisasi", await person_of(world, ketua))
    async with world.db.unit_of_work() as session:
        rudi = await session.scalar(select(Person).where(Person.nama == "Rudi Saputra"))
    chat = await world.chat(Role.PENDAMPING, person=rudi)
    before = await _counts(world)
    replies = await press_notification(chat, action_choice_id("tinjau", report_id))
    assert "Laporan ini dari RT yang bukan dampingan Bapak/Ibu. Tidak ada yang diubah." in text_of(replies)
    assert (await report(world, report_id)).status == ReportStatus.MENUNGGU_TINJAUAN
    assert await _counts(world) == before
    assert (await state_of(world, chat)).flow is None
    # Typing /tinjau shows an empty queue, not RT 1's report.
    assert "Tidak ada laporan yang menunggu diperiksa." in text_of(await chat.send("/tinjau"))


async def _counts(world) -> tuple[int, ...]:
    async with world.db.unit_of_work() as session:
        return tuple(
            [await session.scalar(select(func.count()).select_from(m)) for m in (OutboxMessage, AuditLog, StageReport)]
        )


async def _rt_2_with_data(world) -> int:
    """RT 2 with a KK count, a registered Ketua RT and a report that carry a marker RT 1 must never see."""
    other = await world.chat(Role.KETUA_RT, RT_2)
    person = await person_of(world, other)
    async with world.db.unit_of_work() as session:
        (await session.get(Person, person.id)).nama = SECRET
        (await session.scalar(select(RT).where(RT.kode == RT_2))).jumlah_kk = 77
    return await make_report(world, RT_2, "sosialisasi", person, answers={"catatan": SECRET})


RT_1_COMMANDS = sorted(c for c, f in FLOWS.items() if {"ketua_rt", "bendahara"} & set(f.roles))


@pytest.mark.parametrize("command", [*RT_1_COMMANDS, "menu", "bantuan", "start"])
@pytest.mark.parametrize("role", [Role.KETUA_RT, Role.BENDAHARA])
async def test_rt_1_never_sees_rt_2(world, role, command):
    report_id = await _rt_2_with_data(world)
    chat = await world.chat(role, RT_1)
    text = text_of(await chat.send(f"/{command}"))
    for leak in (SECRET, RT_2, "RT 002", "77 KK"):
        assert leak not in text
    replies = await press_notification(chat, action_choice_id("tinjau", report_id))
    assert "Tombol ini bukan untuk peran Bapak/Ibu." in text_of(replies)
    assert SECRET not in text_of(replies)
