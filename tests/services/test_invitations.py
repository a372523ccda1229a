"""Invitations: short unambiguous codes, stored only hashed, single-use, expiring, revocable."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services import invitations
from services.models import AuditLog, ChannelIdentity, Invitation, Person, Role, utcnow
from services.problems import ProblemError
from tests.handlers.conftest import load_roster


def test_codes_are_typeable():
    for _ in range(200):
        code = invitations.new_code()
        assert len(code) == 8
        assert not set(code) & set("01OILSB58")
        assert invitations.looks_like_code(code.lower())
    assert invitations.normalize_code(" abcd-efgh ") == "ABCDEFGH"
    assert invitations.display_code("ABCDEFGH") == "ABCD-EFGH"


def test_hash_is_keyed():
    assert invitations.hash_code("ACDE-FGHJ", b"one") != invitations.hash_code("ACDEFGHJ", b"two")
    assert invitations.hash_code("acde-fghj", b"one") == invitations.hash_code("ACDEFGHJ", b"one")


async def test_only_the_hash_is_stored_and_defaults_expire_in_30_days(db, program, pepper):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        from services.rts import get_rt

        rt = await get_rt(session, "15.71.01.1001-001")
        issued = await invitations.create_invitation(session, pepper, role=Role.KETUA_RT, created_by="t", rt=rt)
    async with db.unit_of_work() as session:
        stored = await session.scalar(select(Invitation))
        assert issued.code not in (stored.code_hash, stored.code_hint)
        assert stored.code_hash == invitations.hash_code(issued.code, pepper)
        assert timedelta(days=29, hours=23) < stored.expires_at - stored.created_at <= timedelta(days=30)


async def test_redeem_once_then_refused(db, program, pepper):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        from services.rts import get_rt

        rt = await get_rt(session, "15.71.01.1001-001")
        issued = await invitations.create_invitation(session, pepper, role=Role.KETUA_RT, created_by="t", rt=rt)
    async with db.unit_of_work() as session:
        person = await invitations.redeem_invitation(session, pepper, issued.code, channel="test", external_id="1")
        assert (person.role, person.rt_id) == (Role.KETUA_RT, rt.id)
    with pytest.raises(ProblemError) as caught:
        async with db.unit_of_work() as session:
            await invitations.redeem_invitation(session, pepper, issued.code, channel="test", external_id="2")
    assert caught.value.problems[0].code == "invite_used"


async def test_revoked_and_expired(db, program, pepper):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        issued = await invitations.create_invitation(
            session,
            pepper,
            role=Role.ADMIN,
            created_by="t",
            validity=timedelta(days=1),
            now=utcnow() - timedelta(days=2),
        )
        other = await invitations.create_invitation(session, pepper, role=Role.ADMIN, created_by="t")
    async with db.unit_of_work() as session:
        await invitations.revoke_invitation(session, other.invitation.id, actor="t")
    for code, expected in (
        (issued.code, "invite_expired"),
        (other.code, "invite_revoked"),
        ("ACDEFGHJ", "invite_unknown"),
    ):
        with pytest.raises(ProblemError) as caught:
            async with db.unit_of_work() as session:
                await invitations.redeem_invitation(session, pepper, code, channel="test", external_id="9")
        assert caught.value.problems[0].code == expected


async def test_ketua_invitation_needs_an_rt(db, pepper):
    async with db.unit_of_work() as session:
        with pytest.raises(ProblemError):
            await invitations.create_invitation(session, pepper, role=Role.KETUA_RT, created_by="t")


async def _issue(db, pepper, role: Role = Role.KETUA_RT, rt_kode: str = "15.71.01.1001-001") -> str:
    async with db.unit_of_work() as session:
        from services.rts import get_rt

        rt = await get_rt(session, rt_kode)
        return (await invitations.create_invitation(session, pepper, role=role, created_by="t", rt=rt)).code


async def _redeem_outcome(db, pepper, code: str, external_id: str) -> str:
    """One chat redeeming in its own unit of work, as the engine does: 'ok' or the problem code."""
    try:
        async with db.unit_of_work() as session:
            await invitations.redeem_invitation(session, pepper, code, channel="test", external_id=external_id)
    except ProblemError as error:
        return error.problems[0].code
    return "ok"


async def _people_and_identities(db) -> tuple[int, int]:
    async with db.unit_of_work() as session:
        people = await session.scalar(select(func.count()).select_from(Person).where(Person.role != Role.PENDAMPING))
        identities = await session.scalar(select(func.count()).select_from(ChannelIdentity))
        return people, identities


async def test_eight_concurrent_redemptions_of_one_code_register_one_person(db, program, pepper):
    await load_roster(db, program)
    code = await _issue(db, pepper)
    outcomes = await asyncio.gather(*(_redeem_outcome(db, pepper, code, f"chat{i}") for i in range(8)))
    # Losers are told the code is used: "just used" when they raced the winner, "used" when they came after it.
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"invite_just_used", "invite_used"}
    assert await _people_and_identities(db) == (1, 1)
    async with db.unit_of_work() as session:
        invitation = await session.scalar(select(Invitation))
        winner = await session.scalar(select(Person).where(Person.role == Role.KETUA_RT))
        assert invitation.used_by_person_id == winner.id
        assert (
            await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "invitation.redeem")
            )
            == 1
        )


async def test_a_code_for_a_seat_someone_holds_is_refused_and_stays_unused(db, program, pepper):
    await load_roster(db, program)
    first, second = await _issue(db, pepper), await _issue(db, pepper)
    assert await _redeem_outcome(db, pepper, first, "budi") == "ok"
    async with db.unit_of_work() as session:
        (await session.scalar(select(Person).where(Person.role == Role.KETUA_RT))).nama = "Budi"
    with pytest.raises(ProblemError) as caught:
        async with db.unit_of_work() as session:
            await invitations.redeem_invitation(session, pepper, second, channel="test", external_id="joko")
    problem = caught.value.problems[0]
    assert (problem.code, problem.params["role"], problem.params["nama"]) == ("seat_taken", "ketua_rt", "Budi")
    assert problem.params["rt"] == "15.71.01.1001-001"
    assert await _people_and_identities(db) == (1, 1)
    async with db.unit_of_work() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Invitation).where(Invitation.used_at.is_(None))) == 1
        )
    # Another RT's seat, and the other seat of the same RT, are free.
    assert await _redeem_outcome(db, pepper, await _issue(db, pepper, Role.BENDAHARA), "siti") == "ok"
    assert await _redeem_outcome(db, pepper, await _issue(db, pepper, rt_kode="15.71.01.1001-002"), "ani") == "ok"


async def test_two_codes_for_one_seat_at_the_same_moment_make_one_holder(db, program, pepper):
    await load_roster(db, program)
    codes = [await _issue(db, pepper) for _ in range(4)]
    outcomes = await asyncio.gather(*(_redeem_outcome(db, pepper, code, f"chat{i}") for i, code in enumerate(codes)))
    assert sorted(outcomes) == ["ok", "seat_taken", "seat_taken", "seat_taken"]
    assert await _people_and_identities(db) == (1, 1)
    async with db.unit_of_work() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Invitation).where(Invitation.used_at.is_(None))) == 3
        )
