"""KK change requests after funds arrived: one open per RT, decided once, only by the RT's pendamping or an admin."""

from datetime import date

import pytest
from sqlalchemy import select

from services import kk_changes
from services.models import RT, AuditLog, FundReceipt, JumlahKKHistory, Person, Role
from services.problems import ProblemError
from services.rts import get_rt
from tests.handlers.conftest import load_roster

RT_A = "15.71.01.1001-001"  # 87 KK, pendamping Dewi Lubis
RT_B = "15.71.01.1002-003"  # 120 KK, pendamping Rudi Saputra


async def setup(db, program) -> dict[str, int]:
    """The roster, a Ketua RT for RT A and an admin; returns their ids."""
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        ketua = Person(nama="Pak Ketua", role=Role.KETUA_RT, rt_id=rt.id)
        admin = Person(nama="Admin", role=Role.ADMIN)
        session.add_all([ketua, admin])
        await session.flush()
        other = await get_rt(session, RT_B)
        return {"ketua": ketua.id, "admin": admin.id, "dewi": rt.pendamping_id, "rudi": other.pendamping_id}


async def request(db, program, ids, value=120):
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        ketua = await session.get(Person, ids["ketua"])
        return await kk_changes.request_change(session, program, rt, value, person=ketua, actor="test")


async def decide(db, program, request_id, person_id, approve=True):
    async with db.unit_of_work() as session:
        person = await session.get(Person, person_id)
        return await kk_changes.decide(session, program, request_id, approve=approve, person=person, actor="test")


async def test_funds_received_is_per_rt(db, program):
    ids = await setup(db, program)
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        assert not await kk_changes.funds_received(session, rt)
        session.add(FundReceipt(rt_id=rt.id, amount=1, received_on=date(2026, 4, 1), recorded_by_id=ids["ketua"]))
        await session.flush()
        assert await kk_changes.funds_received(session, rt)
        assert not await kk_changes.funds_received(session, await get_rt(session, RT_B))


async def test_request_is_pending_and_audited_and_changes_nothing_yet(db, program):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        assert rt.jumlah_kk == 87
        pending = await kk_changes.pending_request(session, rt)
        assert (pending.id, pending.old, pending.new, pending.status) == (created.id, 87, 120, "pending")
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "kk_change.request"))


async def test_one_open_request_per_rt_and_bad_values_refused(db, program):
    ids = await setup(db, program)
    with pytest.raises(ProblemError) as same:
        await request(db, program, ids, value=87)
    assert same.value.problems[0].code == "kk_change_same"
    with pytest.raises(ProblemError) as zero:
        await request(db, program, ids, value=0)
    assert zero.value.problems[0].code == "kk_not_positive"
    await request(db, program, ids)
    with pytest.raises(ProblemError) as again:
        await request(db, program, ids, value=130)
    assert again.value.problems[0].code == "kk_change_pending"


async def test_approve_applies_with_history(db, program):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    decided, _rt = await decide(db, program, created.id, ids["dewi"])
    assert decided.status == "approved" and decided.decided_by_id == ids["dewi"]
    async with db.unit_of_work() as session:
        assert (await get_rt(session, RT_A)).jumlah_kk == 120
        history = await session.scalar(select(JumlahKKHistory).where(JumlahKKHistory.source == "kk_change"))
        assert (history.old, history.new, history.changed_by_id) == (87, 120, ids["dewi"])


async def test_reject_changes_nothing(db, program):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    decided, _rt = await decide(db, program, created.id, ids["admin"], approve=False)
    assert decided.status == "rejected"
    async with db.unit_of_work() as session:
        assert (await get_rt(session, RT_A)).jumlah_kk == 87
        assert await kk_changes.pending_request(session, await get_rt(session, RT_A)) is None


@pytest.mark.parametrize(("who", "code"), [("rudi", "kk_change_not_allowed"), ("ketua", "kk_change_not_allowed")])
async def test_only_the_rts_pendamping_or_an_admin_decides(db, program, who, code):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    with pytest.raises(ProblemError) as refused:
        await decide(db, program, created.id, ids[who])
    assert refused.value.problems[0].code == code


async def test_deciding_twice_or_an_unknown_request_is_refused(db, program):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    await decide(db, program, created.id, ids["dewi"])
    with pytest.raises(ProblemError) as twice:
        await decide(db, program, created.id, ids["dewi"], approve=False)
    assert twice.value.problems[0].code == "kk_change_decided"
    assert twice.value.problems[0].params["status"] == "approved"
    with pytest.raises(ProblemError) as unknown:
        await decide(db, program, 999, ids["dewi"])
    assert unknown.value.problems[0].code == "kk_change_not_found"


async def test_pending_for_lists_own_rts_and_everything_for_admins(db, program):
    ids = await setup(db, program)
    created = await request(db, program, ids)
    async with db.unit_of_work() as session:
        for who, expected in (("dewi", [created.id]), ("rudi", []), ("admin", [created.id])):
            person = await session.get(Person, ids[who])
            assert [r.id for r, _rt in await kk_changes.pending_for(session, person)] == expected
        [(_request, rt)] = await kk_changes.pending_for(session, await session.get(Person, ids["admin"]))
        assert isinstance(rt, RT) and rt.kode == RT_A
