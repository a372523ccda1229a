"""Seats: one holder per RT and role; a `--ganti` code hands the seat over, once, to one new holder."""

import asyncio

import pytest
from sqlalchemy import select

from services import invitations, seats
from services.models import RT, AuditLog, Person, Role
from services.problems import ProblemError
from tests.handlers.conftest import load_roster

RT1 = "15.71.01.1001-001"


async def _setup(db, program, pepper, codes: int = 1) -> tuple[int, list[str]]:
    """A registered Ketua RT of RT 1, and `codes` replacement codes naming them."""
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        first = await invitations.create_invitation(session, pepper, role=Role.KETUA_RT, created_by="t", rt=rt)
    async with db.unit_of_work() as session:
        holder = await invitations.redeem_invitation(session, pepper, first.code, channel="test", external_id="old")
        holder_id = holder.id
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        holder = await session.get(Person, holder_id)
        issued = [
            await invitations.create_invitation(
                session, pepper, role=Role.KETUA_RT, created_by="cli:invite", rt=rt, replaces=holder
            )
            for _ in range(codes)
        ]
    return holder_id, [i.code for i in issued]


async def test_make_room_frees_the_seat_only_for_the_named_holder(db, program, pepper):
    holder_id, _codes = await _setup(db, program, pepper)
    async with db.unit_of_work() as session:
        rt_id = (await session.get(Person, holder_id)).rt_id
        assert await seats.make_room(session, rt_id, Role.BENDAHARA.value, None) is None  # a free seat
        with pytest.raises(ProblemError) as caught:
            await seats.make_room(session, rt_id, Role.KETUA_RT.value, None)  # a plain code
        assert caught.value.problems[0].params["person_id"] == holder_id
        assert caught.value.problems[0].params["sejak"] is not None
        with pytest.raises(ProblemError):
            await seats.make_room(session, rt_id, Role.KETUA_RT.value, holder_id + 100)  # someone else
        replaced = await seats.make_room(session, rt_id, Role.KETUA_RT.value, holder_id)
        assert (replaced.id, replaced.active) == (holder_id, False)
        assert await seats.holder(session, rt_id, Role.KETUA_RT.value) is None


async def test_redeeming_a_ganti_code_returns_the_replaced_and_records_the_handover(db, program, pepper):
    holder_id, [code] = await _setup(db, program, pepper)
    async with db.unit_of_work() as session:
        redeemed = await invitations.redeem(session, pepper, code, channel="test", external_id="new")
        assert redeemed.replaced.id == holder_id and redeemed.person.id != holder_id
        new_id = redeemed.person.id
    async with db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "seat.handover"))
        active = list(await session.scalars(select(Person.id).where(Person.role == Role.KETUA_RT, Person.active)))
    assert active == [new_id]
    assert (audit.entity_id, audit.person_id, audit.detail["new_person_id"]) == (str(holder_id), new_id, new_id)


async def test_two_replacement_codes_redeemed_at_once_give_the_seat_to_one(db, program, pepper):
    _holder_id, codes = await _setup(db, program, pepper, codes=2)

    async def redeem(code: str, who: str) -> str:
        try:
            async with db.unit_of_work() as session:
                await invitations.redeem(session, pepper, code, channel="test", external_id=who)
            return "ok"
        except ProblemError as error:
            return error.problems[0].code

    results = await asyncio.gather(redeem(codes[0], "a"), redeem(codes[1], "b"))
    assert sorted(results) == ["ok", "seat_taken"]
    async with db.unit_of_work() as session:
        active = list(await session.scalars(select(Person).where(Person.role == Role.KETUA_RT, Person.active)))
    assert len(active) == 1
