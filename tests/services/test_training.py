"""Training RTs (services/training.py): one per viewer, never a real RT's business — not listed, counted or
reminded — and started over without touching anything real. On SQLite and PostgreSQL."""

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services import budget, examples, kk_changes, reminders, review, training
from services.assignments import all_rts, rts_for
from services.db import Database
from services.media import MediaStore, record_media
from services.models import (
    RT,
    ChannelIdentity,
    JumlahKKHistory,
    KKChangeRequest,
    Media,
    Person,
    ReportStatus,
    StageReport,
)
from services.program import Program
from tests.images import jpeg
from tests.people import Town, add_person, build_town, report

NAMES = {"ketua_rt": "Ketua RT Latihan", "bendahara": "Bendahara Pokja Latihan"}
NOW = datetime.fromisoformat("2026-02-10T10:00:00+07:00")


@pytest.fixture
async def town(db: Database, program: Program) -> Town:
    return await build_town(db, program)


async def _start(db: Database, viewer: Person) -> training.Training:
    async with db.unit_of_work() as session:
        return await training.start_training(session, viewer, NAMES, actor="test", now=NOW)


async def test_each_viewer_gets_a_training_rt_of_their_own_in_their_kelurahan(db: Database, town: Town) -> None:
    admin = await add_person(db, "admin", nama="Ani Admin")
    dewi = await _start(db, town.dewi)
    again = await _start(db, town.dewi)
    ani = await _start(db, admin)
    assert dewi.rt.id == again.rt.id  # started once
    assert (dewi.rt.kode, ani.rt.kode) == ("15.71.01.1001-901", "15.71.01.1001-902")
    assert dewi.rt.latihan and dewi.rt.pendamping_id is None and dewi.rt.kelompok == "A"
    assert {role: p.nama for role, p in dewi.people.items()} == NAMES
    async with db.unit_of_work() as session:
        identities = {
            (i.channel, i.external_id): i.person_id
            for i in await session.scalars(select(ChannelIdentity).where(ChannelIdentity.channel == "simulator"))
        }
    assert identities[("simulator", f"{town.dewi.id}:ketua_rt")] == dewi.people["ketua_rt"].id
    assert identities[("simulator", f"{admin.id}:bendahara")] == ani.people["bendahara"].id
    assert len(identities) == 4


async def test_training_rts_are_in_no_list_of_real_rts(db: Database, town: Town) -> None:
    admin = await add_person(db, "admin", nama="Ani Admin")
    mine = await _start(db, town.dewi)
    await _start(db, admin)
    real = ["15.71.01.1001-001", "15.71.01.1001-002", "15.71.01.1001-003"]
    async with db.unit_of_work() as session:
        assert [rt.kode for rt in await rts_for(session, town.dewi)] == real
        assert [rt.kode for rt in await rts_for(session, admin)] == real
        assert [rt.kode for rt in await all_rts(session)] == real
        # The training Ketua RT still has their own RT (the flows of a Ketua RT read it).
        assert [rt.kode for rt in await rts_for(session, mine.people["ketua_rt"])] == [mine.rt.kode]


async def test_training_people_hear_no_reminder_and_their_rt_is_in_no_digest(
    db: Database, program: Program, town: Town
) -> None:
    mine = await _start(db, town.dewi)
    day = date(2026, 3, 1)
    slot = reminders.slot_for_day(program, day)
    async with db.unit_of_work() as session:
        planned = await reminders.plan(session, program, slot, day)
    heard = {r.person_id for r in planned}
    assert town.ketua_a.id in heard and town.dewi.id in heard  # the real ones are reminded that day
    assert not heard & {p.id for p in mine.people.values()}
    digest = next(r for r in planned if r.person_id == town.dewi.id)
    assert mine.rt.kode not in {a.rt_kode for a in digest.agendas} | set(digest.unregistered)


async def test_reset_deletes_the_training_rts_work_and_nothing_real(db: Database, town: Town) -> None:
    mine = await _start(db, town.dewi)
    ketua = mine.people["ketua_rt"]
    await report(db, town.rt_a, "sosialisasi", by=town.ketua_a)
    await report(db, mine.rt, "sosialisasi", ReportStatus.MENUNGGU_TINJAUAN, by=ketua)
    async with db.unit_of_work() as session:
        rt = await session.get(RT, mine.rt.id)
        rt.jumlah_kk = 45
        session.add(JumlahKKHistory(rt_id=rt.id, old=None, new=45, changed_by_id=ketua.id, source="bot"))
    async with db.unit_of_work() as session:
        assert await training.reset_training(session, town.dewi, actor="test")
    async with db.unit_of_work() as session:
        reports = [(r.rt_id, r.stage_key) for r in await session.scalars(select(StageReport))]
        assert reports == [(town.rt_a.id, "sosialisasi")]
        assert (await session.get(RT, mine.rt.id)).jumlah_kk is None
        assert (await session.get(RT, town.rt_a.id)).jumlah_kk == 80
        history = select(func.count()).select_from(JumlahKKHistory).where(JumlahKKHistory.rt_id == mine.rt.id)
        assert await session.scalar(history) == 0
        # The RT and its people stay: the next message continues the same training.
        assert (await training.training_of(session, town.dewi)).rt.id == mine.rt.id


async def test_someone_who_never_trained_has_nothing_to_reset(db: Database, town: Town) -> None:
    async with db.unit_of_work() as session:
        assert await training.training_of(session, town.dewi) is None
        assert not await training.reset_training(session, town.dewi, actor="test")


async def test_a_training_report_is_in_no_review_queue(db: Database, town: Town) -> None:
    admin = await add_person(db, "admin", nama="Ani Admin")
    mine = await _start(db, town.dewi)
    await report(db, mine.rt, "sosialisasi", ReportStatus.MENUNGGU_TINJAUAN, by=mine.people["ketua_rt"])
    await report(db, town.rt_a, "sosialisasi", ReportStatus.MENUNGGU_TINJAUAN, by=town.ketua_a)
    async with db.unit_of_work() as session:
        for reviewer in (admin, town.dewi):
            assert [r.rt_id for r in await review.review_queue(session, reviewer)] == [town.rt_a.id]


async def test_a_training_person_reaches_only_their_own_training_rt(db: Database, town: Town) -> None:
    mine = await _start(db, town.dewi)
    ketua, bendahara = mine.people["ketua_rt"], mine.people["bendahara"]
    async with db.unit_of_work() as session:
        assert await training.may_reach(session, bendahara, ketua)
        assert not await training.may_reach(session, bendahara, town.dewi)
        assert not await training.may_reach(session, ketua, town.ketua_a)
        assert await training.may_reach(session, town.ketua_a, town.dewi)  # real people as before
        assert await training.may_reach(session, None, town.dewi)


async def test_a_training_rt_adds_nothing_to_the_budget(db: Database, program: Program, town: Town) -> None:
    async with db.unit_of_work() as session:
        before = await budget.budget_totals(session, program)
    mine = await _start(db, town.dewi)
    async with db.unit_of_work() as session:
        (await session.get(RT, mine.rt.id)).jumlah_kk = 45
    async with db.unit_of_work() as session:
        after = await budget.budget_totals(session, program)
    assert (after.overall, after.unregistered) == (before.overall, before.unregistered)


async def test_a_training_photo_never_flags_a_real_rts_photo_as_reused(
    db: Database, town: Town, tmp_path: Path
) -> None:
    store = MediaStore(tmp_path / "media")
    mine = await _start(db, town.dewi)
    content = jpeg(7)
    stored = {}
    for name, rt_id in (("training", mine.rt.id), ("rt_a", town.rt_a.id), ("rt_b", town.rt_b.id)):
        async with db.unit_of_work() as session:
            media = await record_media(session, store, content, kind="photo", uploaded_by_id=None, rt_id=rt_id)
            stored[name] = (media.id, media.reuse_of_media_id)
    assert stored["rt_a"][1] is None  # the same photo was only in training before
    assert stored["rt_b"][1] == stored["rt_a"][0]  # a real RT's earlier photo still flags it


async def test_a_training_kk_change_is_nobodys_to_decide(db: Database, town: Town) -> None:
    admin = await add_person(db, "admin", nama="Ani Admin")
    mine = await _start(db, town.dewi)
    async with db.unit_of_work() as session:
        for rt, by in ((mine.rt, mine.people["ketua_rt"]), (town.rt_a, town.ketua_a)):
            session.add(KKChangeRequest(rt_id=rt.id, old=80, new=90, requested_by_id=by.id))
    async with db.unit_of_work() as session:
        assert [rt.id for _request, rt in await kk_changes.pending_for(session, admin)] == [town.rt_a.id]


async def test_a_training_report_is_never_shown_as_an_example(db: Database, town: Town) -> None:
    mine = await _start(db, town.dewi)
    await report(db, mine.rt, "sosialisasi", by=mine.people["ketua_rt"])
    await report(db, town.rt_a, "sosialisasi", by=town.ketua_a)
    async with db.unit_of_work() as session:
        for stage_report in await session.scalars(select(StageReport)):
            stage_report.contoh_at = NOW
            session.add(
                Media(
                    sha256=f"{stage_report.id:064d}",
                    path="x.jpg",
                    size=1,
                    mime_type="image/jpeg",
                    kind="photo",
                    rt_id=stage_report.rt_id,
                    report_id=stage_report.id,
                )
            )
    async with db.unit_of_work() as session:
        shown = await examples.examples_for_stage(session, "sosialisasi")
    assert [example.rt.id for example in shown] == [town.rt_a.id]
