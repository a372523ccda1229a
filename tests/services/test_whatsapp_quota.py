"""Planning against WhatsApp's daily quota: the pure plan as tables, and what the outbox already holds (SQLite and
PostgreSQL), up to the issue's case of 1,583 Ketua RT on WhatsApp against 250 a day."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services import broadcasts, roster, wilayah
from services.db import Database
from services.demo import demo_roster
from services.models import (
    RT,
    Broadcast,
    ChannelIdentity,
    OutboxMessage,
    Person,
    ReportStatus,
    Role,
    StageReport,
    utcnow,
)
from services.program import Program
from services.whatsapp_quota import (
    DAY,
    Booking,
    Lane,
    Recipient,
    Urgency,
    booked_slots,
    plan,
    plan_with_bookings,
)
from services.whatsapp_window import WINDOW

START = datetime(2026, 2, 15, 1, 0, tzinfo=UTC)  # 08.00 WIB
LONG_AGO = START - timedelta(days=3)


def whatsapp(person_id: int, urgency: Urgency = Urgency.LATER, last_inbound_at: datetime | None = LONG_AGO):
    return Recipient(person_id, "whatsapp", f"62812{person_id:07d}", last_inbound_at, urgency)


def telegram(person_id: int, urgency: Urgency = Urgency.LATER):
    return Recipient(person_id, "telegram", str(person_id), None, urgency)


def lanes(result) -> list[tuple[int, int, int]]:
    return [(d.telegram, d.window, d.template) for d in result.days]


# ---- the pure plan -------------------------------------------------------------------------------------------


def test_the_issues_case_1583_on_whatsapp_outside_the_window_take_7_days_overdue_first():
    urgencies = [Urgency.LATER] * 900 + [Urgency.DUE] * 483 + [Urgency.OVERDUE] * 200
    people = [whatsapp(i + 1, u) for i, u in enumerate(urgencies)]
    result = plan(people, START, 250)
    assert [d.template for d in result.days] == [250, 250, 250, 250, 250, 250, 83]
    assert result.template_days == 7 and result.now == 0 and result.later == 1583 - 250
    first = [a for a in result.assignments if a.day == 0]
    assert Counter(a.recipient.urgency for a in first) == {Urgency.OVERDUE: 200, Urgency.DUE: 50}
    assert result.days[0].overdue == result.overdue == 200
    # Due this month before the rest: the last due person goes before the first one with nothing due.
    day_of = {a.recipient.person_id: a.day for a in result.assignments}
    assert max(day_of[i + 1] for i, u in enumerate(urgencies) if u == Urgency.DUE) == 2
    assert min(day_of[i + 1] for i, u in enumerate(urgencies) if u == Urgency.LATER) == 2
    # Each day a full window (and a margin) after the one before; day 0 goes at once.
    assert [d.start for d in result.days] == [START + k * DAY for k in range(7)]
    assert DAY > WINDOW
    assert all(a.not_before == START + a.day * DAY for a in result.assignments)
    assert result.not_before(people[-1].person_id) is None  # overdue: now, the row's usual time
    assert result.not_before(900) == START + 6 * DAY  # the last of those with nothing due


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        # inside their window: all now, free, whatever the limit
        ([whatsapp(i, last_inbound_at=START - timedelta(hours=3)) for i in range(1, 601)], [(0, 600, 0)]),
        # Telegram: no quota
        ([telegram(i) for i in range(1, 601)], [(600, 0, 0)]),
        # the window closing within minutes counts as closed (services.whatsapp_window's margin)
        ([whatsapp(1, last_inbound_at=START - timedelta(hours=23, minutes=58))], [(0, 0, 1)]),
        # never wrote to us: a template
        ([whatsapp(1, last_inbound_at=None)], [(0, 0, 1)]),
        (
            [telegram(1), whatsapp(2, last_inbound_at=START), *(whatsapp(i) for i in range(3, 8))],
            [(1, 1, 2), (0, 0, 2), (0, 0, 1)],
        ),
        ([], []),
    ],
)
def test_free_channels_go_now_templates_wait_for_their_day(recipients, expected):
    result = plan(recipients, START, 2)
    assert lanes(result) == expected
    assert result.now == sum(t + w for t, w, _ in expected)


def test_a_mixed_plan_counts_now_later_and_days():
    people = [telegram(1), telegram(2), whatsapp(3, last_inbound_at=START - timedelta(hours=1))]
    people += [whatsapp(i, Urgency.DUE) for i in range(4, 9)]
    result = plan(people, START, 2)
    assert (result.total, result.now, result.templates, result.later, result.template_days) == (8, 3, 5, 3, 3)
    assert {a.recipient.person_id: a.lane for a in result.assignments if a.day == 0} == {
        1: Lane.TELEGRAM,
        2: Lane.TELEGRAM,
        3: Lane.WINDOW,
        4: Lane.TEMPLATE,
        5: Lane.TEMPLATE,
    }
    assert result.later_by_person == {6: START + DAY, 7: START + DAY, 8: START + 2 * DAY}


def test_slots_used_in_the_last_24_hours_reduce_day_one_only():
    used = [Booking(START - timedelta(hours=h), f"other{h}") for h in range(1, 41)]  # 40 templates, 1–40 h ago
    people = [whatsapp(i) for i in range(1, 301)]
    result = plan(people, START, 250, used)
    # Sent 1–23 h ago still hold their slot at the start; 24 h ago and earlier do not.
    assert [d.template for d in result.days] == [250 - 23, 73]


def test_the_same_person_twice_in_the_window_holds_one_slot():
    used = [Booking(START - timedelta(hours=2), "same"), Booking(START - timedelta(hours=1), "same")]
    assert [d.template for d in plan([whatsapp(i) for i in range(1, 5)], START, 3, used).days] == [2, 2]


def test_templates_already_waiting_for_a_later_day_leave_that_day_fuller():
    # Another broadcast's templates planned for tomorrow: 200 slots of day 2 are taken.
    waiting = [Booking(START + DAY, f"other{i}") for i in range(200)]
    result = plan([whatsapp(i) for i in range(1, 501)], START, 250, waiting)
    assert [d.template for d in result.days] == [250, 50, 200]


def test_a_slot_taken_late_in_a_day_still_holds_it_into_the_next():
    # A template going out 20 h after the start holds its slot until 44 h: day 2 (at 25 h) shares it.
    waiting = [Booking(START + timedelta(hours=20), f"other{i}") for i in range(100)]
    result = plan([whatsapp(i) for i in range(1, 401)], START, 250, waiting)
    assert [d.template for d in result.days] == [150, 150, 100]


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        plan([whatsapp(1)], START, 0)


# ---- against the database ------------------------------------------------------------------------------------


async def _identity(session, person_id: int, channel: str, external_id: str, last_inbound_at=None):
    identity = ChannelIdentity(
        person_id=person_id, channel=channel, external_id=external_id, last_inbound_at=last_inbound_at
    )
    session.add(identity)
    return identity


async def _people(db: Database, count: int) -> list[Person]:
    async with db.unit_of_work() as session:
        people = [Person(nama=f"Warga {i}", role=Role.KETUA_RT) for i in range(count)]
        session.add_all(people)
        await session.flush()
        return people


def _row(channel: str, external_id: str, **values) -> OutboxMessage:
    return OutboxMessage(channel=channel, external_id=external_id, payload={"text": "x"}, **values)


async def test_booked_slots_read_templates_sent_and_templates_still_to_come(db: Database):
    people = await _people(db, 3)
    async with db.unit_of_work() as session:
        await _identity(session, people[0].id, "whatsapp", "active", START - timedelta(hours=2))
        await _identity(session, people[1].id, "whatsapp", "silent", START - timedelta(days=5))
        await _identity(session, people[2].id, "telegram", "77")
        session.add_all(
            [
                _row("whatsapp", "a", status="sent", template="kb_pengingat", sent_at=START - timedelta(hours=2)),
                _row("whatsapp", "b", status="sent", template="kb_pengingat", sent_at=START - timedelta(hours=25)),
                _row("whatsapp", "c", status="sent", sent_at=START - timedelta(hours=1)),  # free-form: no slot
                # waiting: "silent" will need a template; "active" is in the window now, but not tomorrow
                _row("whatsapp", "silent", status="pending", next_attempt_at=START - timedelta(minutes=5)),
                _row("whatsapp", "active", status="pending", next_attempt_at=START),
                _row("whatsapp", "active", status="pending", next_attempt_at=START + DAY),
                _row("whatsapp", "active", status="sent", sent_at=START - timedelta(minutes=1)),
                _row("telegram", "77", status="pending", next_attempt_at=START),
                _row("whatsapp", "silent", status="failed", next_attempt_at=START),
            ]
        )
    async with db.unit_of_work() as session:
        booked = await booked_slots(session, START)
    assert sorted((b.external_id, b.at) for b in booked) == [
        ("a", START - timedelta(hours=2)),
        ("active", START + DAY),
        ("silent", START),  # overdue rows go at once: they hold a slot from the start
    ]


async def test_a_person_with_telegram_and_whatsapp_is_planned_on_telegram(db: Database, program: Program):
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(demo_roster(2), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="test")
        rts = list(await session.scalars(select(RT).order_by(RT.id)))
        both, only = (
            Person(nama="Dua", role=Role.KETUA_RT, rt_id=rts[0].id),
            Person(nama="Satu", role=Role.KETUA_RT, rt_id=rts[1].id),
        )
        session.add_all([both, only])
        await session.flush()
        await _identity(session, both.id, "whatsapp", "6281100")
        await _identity(session, both.id, "telegram", "501")
        await _identity(session, only.id, "whatsapp", "6281200")
    admin = Person(nama="Admin", role=Role.ADMIN)
    async with db.unit_of_work() as session:
        audience = await broadcasts.select_audience(session, program, admin, "city", today=date(2026, 2, 15))
        result = await broadcasts.delivery_plan(session, audience, START, 1)
    assert {a.recipient.person_id: a.lane for a in result.assignments} == {
        both.id: Lane.TELEGRAM,
        only.id: Lane.TEMPLATE,
    }


async def _city_on_whatsapp(db: Database, program: Program, overdue: int) -> dict[int, str]:
    """The demo city's 1,583 RTs, each Ketua RT on WhatsApp and silent for days. On 15 February 2026 Kelompok A's
    January stage (sosialisasi) is reported and approved everywhere but in `overdue` RTs. Returns person → kelompok."""
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(demo_roster(), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="test")
    async with db.unit_of_work() as session:
        rts = list(await session.scalars(select(RT).order_by(RT.id)))
        people = [Person(nama=f"Ketua {rt.kode}", role=Role.KETUA_RT, rt_id=rt.id) for rt in rts]
        session.add_all(people)
        await session.flush()
        session.add_all(
            ChannelIdentity(person_id=p.id, channel="whatsapp", external_id=f"628{p.id:09d}", last_inbound_at=LONG_AGO)
            for p in people
        )
        kelompok_a = [rt for rt in rts if rt.kelompok == "A"]
        session.add_all(
            StageReport(
                rt_id=rt.id,
                stage_key="sosialisasi",
                status=ReportStatus.DISETUJUI,
                happened_on=date(2026, 1, 20),
                submitted_by_id=person.id,
            )
            for rt, person in zip(rts, people, strict=True)
            if rt.kelompok == "A" and rt not in kelompok_a[:overdue]
        )
        return {p.id: rt.kelompok for rt, p in zip(rts, people, strict=True)}


async def test_1583_ketua_rt_on_whatsapp_get_a_7_day_broadcast_with_the_overdue_on_day_one(
    db: Database, program: Program
):
    kelompok = await _city_on_whatsapp(db, program, overdue=120)
    # Queued rows go at the real clock's time: the plan starts now (the stages are judged on 15 February).
    start = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    admin = Person(nama="Admin", role=Role.ADMIN)
    async with db.unit_of_work() as session:
        session.add(admin)
        await session.flush()
        audience = await broadcasts.select_audience(session, program, admin, "city", today=date(2026, 2, 15))
        result = await broadcasts.delivery_plan(session, audience, start, 250)
        assert len(audience.recipients) == 1583
        assert [d.template for d in result.days] == [250, 250, 250, 250, 250, 250, 83]
        assert result.days[0].overdue == result.overdue == 120
        # Kelompok A (a stage due this month) before Kelompok B (nothing due before August).
        day_of = {a.recipient.person_id: a.day for a in result.assignments}
        assert max(d for p, d in day_of.items() if kelompok[p] == "A") <= min(
            d for p, d in day_of.items() if kelompok[p] == "B"
        )
        # Queued: day 1 at once, the rest waiting for their day.
        _broadcast, queued = await broadcasts.create_broadcast(
            session, admin, audience, "Rapat koordinasi", lambda p: {"text": "x"}, actor="test", now=start
        )
    assert queued == 1583
    async with db.unit_of_work() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))))
        assert (await session.scalar(select(Broadcast))).total == 1583
    planned_day = {start + k * DAY: k for k in range(1, 7)}
    waits = Counter(planned_day.get(r.next_attempt_at, 0) for r in rows)
    assert waits == {0: 250, 1: 250, 2: 250, 3: 250, 4: 250, 5: 250, 6: 83}
    assert all(
        r.next_attempt_at < start + timedelta(minutes=5) for r in rows if planned_day.get(r.next_attempt_at) is None
    )
    # A second plan now sees the city's next six days full: its one template goes on day 7.
    async with db.unit_of_work() as session:
        again = await plan_with_bookings(session, [Recipient(0, "whatsapp", "62899", None)], start, 250)
    assert [d.template for d in again.days] == [0, 0, 0, 0, 0, 0, 1]


def test_a_day_already_full_still_counts_in_the_days_the_sender_waits():
    full = [Booking(START - timedelta(hours=1), f"other{i}") for i in range(3)]
    result = plan([whatsapp(1), telegram(2)], START, 3, full)
    assert lanes(result) == [(1, 0, 0), (0, 0, 1)]
    assert (result.template_days, result.later, result.now) == (2, 1, 1)
