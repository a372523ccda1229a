"""Probes with odd input, as a careless user or an attacker sends it: digits int() refuses, forged button
arguments, names that disguise themselves. Each answered clearly, nothing crashed, nothing written. Both databases."""

from sqlalchemy import func, select

from handlers.messages import Incoming, Kind
from services.models import AuditLog, Person, Role, StageReport
from tests.handlers.chat import Chat
from tests.handlers.conftest import world  # noqa: F401 (the fixture)

RT1 = "15.71.01.1001-001"


async def test_a_name_with_a_bidi_override_is_stored_as_it_reads(world):  # noqa: F811
    chat = Chat(world.engine, "u-bidi", display_name="\u202eNIMDA\u200b")
    code = await world.invite(Role.BENDAHARA, RT1)
    await chat.send(f"/start {code}")
    async with world.db.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.role == Role.BENDAHARA))
    assert person.nama == "NIMDA"


async def test_forged_buttons_with_digits_int_refuses_change_nothing(world):  # noqa: F811
    pendamping = await world.chat(Role.PENDAMPING, rts=[RT1])
    async with world.db.unit_of_work() as session:
        audit_before = await session.scalar(select(func.count()).select_from(AuditLog))
    for forged in ("act:tinjau:²", "act:kk_ok:²", "act:kk_no:٣٣٣٣٣٣٣٣٣٣٣٣", "act:tinjau:99999999999999999999"):
        replies = await pendamping.deliver(Incoming("test", pendamping.user_id, Kind.CHOICE, choice=forged))
        assert "tidak berlaku" in pendamping.texts(replies) or "no longer valid" in pendamping.texts(replies)
    async with world.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == audit_before
        assert await session.scalar(select(func.count()).select_from(StageReport)) == 0


async def test_a_ketua_rt_typing_a_superscript_for_a_stage_is_asked_again(world):  # noqa: F811
    ketua = await world.chat(Role.KETUA_RT, RT1)
    await ketua.send("/lapor")
    replies = await ketua.send("²")
    assert replies[-1].choices, "the stage question is asked again"
