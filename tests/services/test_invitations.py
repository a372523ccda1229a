"""Invitations: short unambiguous codes, stored only hashed, single-use, expiring, revocable."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from services import invitations
from services.models import Invitation, Role, utcnow
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
