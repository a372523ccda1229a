"""Broadcast audiences and queueing, on SQLite and PostgreSQL (today: 15 Maret 2026)."""

import pytest
from sqlalchemy import select

from services import broadcasts
from services.models import Broadcast, ChannelIdentity, OutboxMessage, Person, Role
from services.problems import ProblemError
from tests.services.pendamping_data import NOW, TODAY, new_report, people, setup


@pytest.fixture
async def ready(db, program):
    await setup(db, program)


def render(person: Person) -> dict:
    return {"text": f"halo {person.nama}", "choices": [], "attachments": []}


async def audience(session, program, sender, scope, kelompok=None):
    return await broadcasts.select_audience(session, program, sender, scope, kelompok=kelompok, today=TODAY)


async def test_assigned_rts_and_their_registered_ketua(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        chosen = await audience(session, program, p.dewi, "assigned")
        assert [rt.nomor for rt in chosen.rts] == [1, 2]
        # Only Ketua RT receive broadcasts (not the bendahara); RT 2 has no registered Ketua.
        assert [person.nama for person in chosen.recipients] == ["Budi"]
        assert chosen.unregistered_rts == 1
        assert chosen.describe() == {"scope": "assigned", "rts": 2, "unregistered_rts": 1}


async def test_a_ketua_without_a_channel_or_inactive_is_not_a_recipient(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        session.add(Person(nama="Tanpa Akun", role=Role.KETUA_RT, rt_id=p.rts[2].id))
        p.ketua_1.active = False
        await session.flush()
        chosen = await audience(session, program, p.dewi, "assigned")
        assert chosen.recipients == [] and chosen.unregistered_rts == 2


async def test_kelompok_and_city(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        kelompok_b = await audience(session, program, p.admin, "kelompok", "B")
        assert [rt.nomor for rt in kelompok_b.rts] == [3] and kelompok_b.describe()["kelompok"] == "B"
        assert [rt.nomor for rt in (await audience(session, program, p.dewi, "kelompok", "B")).rts] == []
        city = await audience(session, program, p.admin, "city")
        assert [person.nama for person in city.recipients] == ["Budi", "Joko"] and city.unregistered_rts == 1


async def test_behind_takes_rts_with_any_late_stage(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        # RT 1 reports every January/February stage; RT 2 reports nothing; RT 3 (Kelompok B) has not started.
        for kode in ("sosialisasi", "rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya", "rencana_kerja"):
            session.add(new_report(p.rts[1], kode, p.ketua_1))
        await session.flush()
        behind = await audience(session, program, p.admin, "behind")
        assert [rt.nomor for rt in behind.rts] == [2]
        assert behind.recipients == [] and behind.unregistered_rts == 1


@pytest.mark.parametrize(
    ("who", "scope", "kelompok", "code"),
    [
        ("dewi", "city", None, "broadcast_forbidden"),
        ("ketua_1", "assigned", None, "broadcast_forbidden"),
        ("bendahara_1", "assigned", None, "broadcast_forbidden"),
        ("dewi", "kelompok", "C", "broadcast_bad_scope"),
        ("dewi", "everyone", None, "broadcast_bad_scope"),
    ],
)
async def test_audiences_a_sender_may_not_choose(db, program, ready, who, scope, kelompok, code):
    async with db.unit_of_work() as session:
        sender = getattr(await people(session), who)
        with pytest.raises(ProblemError) as error:
            await audience(session, program, sender, scope, kelompok)
        assert error.value.problems[0].code == code


async def test_create_writes_one_broadcast_and_one_outbox_row_per_recipient(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        session.add(ChannelIdentity(person_id=p.ketua_3.id, channel="telegram", external_id="777"))
        city = await audience(session, program, p.admin, "city")
        broadcast, queued = await broadcasts.create_broadcast(
            session, p.admin, city, "  Rapat besar  ", render, actor="test:sari", now=NOW
        )
        assert queued == 2
    async with db.unit_of_work() as session:
        stored = await session.get(Broadcast, broadcast.id)
        assert stored.text == "Rapat besar" and stored.total == 2 and stored.created_by == "test:sari"
        assert stored.created_by_id == p.admin.id and stored.audience["scope"] == "city"
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.person_id)))
        assert [(r.person_id, r.dedupe_key, r.broadcast_id, r.status) for r in rows] == [
            (p.ketua_1.id, f"broadcast:{broadcast.id}:{p.ketua_1.id}", broadcast.id, "pending"),
            (p.ketua_3.id, f"broadcast:{broadcast.id}:{p.ketua_3.id}", broadcast.id, "pending"),
        ]
        assert rows[0].payload["text"] == "halo Budi"
        # A person with two channels gets one message, on the preferred one.
        assert rows[1].channel == "telegram" and rows[1].external_id == "777"


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "broadcast_text_empty"), ("  \n ", "broadcast_text_empty"), ("x" * 1001, "broadcast_text_too_long")],
)
async def test_text_must_be_1_to_1000_characters(db, program, ready, text, code):
    async with db.unit_of_work() as session:
        p = await people(session)
        chosen = await audience(session, program, p.dewi, "assigned")
        with pytest.raises(ProblemError) as error:
            await broadcasts.create_broadcast(session, p.dewi, chosen, text, render, actor="t")
        assert error.value.problems[0].code == code
        assert await session.scalar(select(Broadcast)) is None


async def test_nobody_to_receive_is_refused(db, program, ready):
    async with db.unit_of_work() as session:
        p = await people(session)
        chosen = await audience(session, program, p.dewi, "kelompok", "B")
        with pytest.raises(ProblemError) as error:
            await broadcasts.create_broadcast(session, p.dewi, chosen, "halo", render, actor="t")
        assert error.value.problems[0].code == "broadcast_no_recipients"
