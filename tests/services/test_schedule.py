"""Stage statuses on a given day, which stages may be reported, and the newest report per stage."""

from datetime import date

from services import schedule
from services.models import Person, ReportStatus, Role, StageReport
from services.rts import get_rt
from services.schedule import StageStatus
from tests.handlers.conftest import load_roster

RT_A = "15.71.01.1001-001"


def report(stage: str, status: str, report_id: int = 1) -> StageReport:
    return StageReport(id=report_id, rt_id=1, stage_key=stage, status=status, happened_on=date(2026, 1, 5))


def statuses(program, kelompok: str, reports: dict, today: date) -> dict[str, StageStatus]:
    return {s.stage.kode: s.status for s in schedule.stage_states(program, kelompok, reports, today)}


def test_kelompok_a_in_february(program):
    result = statuses(program, "A", {}, date(2026, 2, 10))
    assert result["sosialisasi"] == StageStatus.TERLAMBAT
    assert result["rembuk_warga"] == StageStatus.JATUH_TEMPO
    assert result["rencana_kerja"] == StageStatus.JATUH_TEMPO
    assert result["proposal"] == StageStatus.AKAN_DATANG
    assert list(result) == [s.kode for s in program.stages]  # program order


def test_kelompok_b_is_all_upcoming_in_february_and_all_late_after_december(program):
    assert set(statuses(program, "B", {}, date(2026, 2, 10)).values()) == {StageStatus.AKAN_DATANG}
    assert set(statuses(program, "B", {}, date(2027, 1, 2)).values()) == {StageStatus.TERLAMBAT}


def test_a_stage_spanning_two_months_is_due_in_both(program):
    for day in (date(2026, 4, 1), date(2026, 5, 31)):
        assert statuses(program, "A", {}, day)["pelaksanaan"] == StageStatus.JATUH_TEMPO
    assert statuses(program, "A", {}, date(2026, 6, 1))["pelaksanaan"] == StageStatus.TERLAMBAT


def test_july_is_the_grace_month_for_kelompok_a(program):
    result = statuses(program, "A", {}, date(2026, 7, 15))
    assert set(result.values()) == {StageStatus.TERLAMBAT}


def test_report_statuses_win_over_the_calendar(program):
    reports = {
        "sosialisasi": report("sosialisasi", ReportStatus.DISETUJUI),
        "rembuk_warga": report("rembuk_warga", ReportStatus.MENUNGGU_TINJAUAN, 2),
        "pembentukan_pokja": report("pembentukan_pokja", ReportStatus.DIKEMBALIKAN, 3),
    }
    states = {s.stage.kode: s for s in schedule.stage_states(program, "A", reports, date(2026, 3, 10))}
    assert states["sosialisasi"].status == StageStatus.SELESAI and not states["sosialisasi"].late
    assert states["rembuk_warga"].status == StageStatus.MENUNGGU_TINJAUAN and not states["rembuk_warga"].late
    # Sent back after its month: still to fix, and late.
    assert states["pembentukan_pokja"].status == StageStatus.DIKEMBALIKAN and states["pembentukan_pokja"].late
    assert states["pembentukan_pokja"].report_id == 3


def test_reportable_needs_every_prerequisite_submitted(program):
    today = date(2026, 2, 10)
    states = schedule.stage_states(program, "A", {}, today)
    assert [s.stage.kode for s in schedule.reportable(states, "ketua_rt")] == ["sosialisasi"]
    waiting = {"sosialisasi": report("sosialisasi", ReportStatus.MENUNGGU_TINJAUAN)}
    states = schedule.stage_states(program, "A", waiting, today)
    assert [s.stage.kode for s in schedule.reportable(states, "ketua_rt")] == ["rembuk_warga"]
    done = {
        **waiting,
        "rembuk_warga": report("rembuk_warga", ReportStatus.DISETUJUI),
        "pembentukan_pokja": report("pembentukan_pokja", ReportStatus.DISETUJUI),
    }
    states = schedule.stage_states(program, "A", done, today)
    # rencana_kerja also needs pemetaan_swadaya.
    assert [s.stage.kode for s in schedule.reportable(states, "ketua_rt")] == ["pemetaan_swadaya"]


def test_reportable_is_per_role(program):
    stages = ["sosialisasi", "rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya", "rencana_kerja", "proposal"]
    reports = {k: report(k, ReportStatus.DISETUJUI) for k in stages}
    states = schedule.stage_states(program, "A", reports, date(2026, 4, 15))
    assert [s.stage.kode for s in schedule.reportable(states, "bendahara")] == ["pencairan_dana"]
    assert schedule.reportable(states, "ketua_rt") == []  # pelaksanaan waits for the funds


def test_a_sent_back_stage_is_reportable_again(program):
    reports = {"sosialisasi": report("sosialisasi", ReportStatus.DIKEMBALIKAN)}
    states = schedule.stage_states(program, "A", reports, date(2026, 2, 10))
    assert [s.stage.kode for s in schedule.reportable(states, "ketua_rt")] == ["sosialisasi"]


def test_urgency_orders_late_before_sent_back_before_due(program):
    late = schedule.stage_states(program, "A", {}, date(2026, 3, 10))
    fresh = schedule.stage_states(program, "B", {}, date(2026, 8, 10))
    assert sorted([fresh, late], key=schedule.urgency)[0] is late
    assert schedule.urgency(fresh) == (0, 0, -1)


async def test_latest_report_per_stage_wins(db, program):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        person = Person(nama="Pak Ketua", role=Role.KETUA_RT, rt_id=rt.id)
        session.add(person)
        await session.flush()
        for status in (ReportStatus.DIKEMBALIKAN, ReportStatus.MENUNGGU_TINJAUAN):
            session.add(
                StageReport(
                    rt_id=rt.id,
                    stage_key="sosialisasi",
                    status=status,
                    happened_on=date(2026, 1, 20),
                    submitted_by_id=person.id,
                )
            )
        await session.flush()
        states = await schedule.rt_stage_states(session, program, rt, date(2026, 2, 10))
        assert states[0].status == StageStatus.MENUNGGU_TINJAUAN
        many = await schedule.stage_states_for_rts(session, program, [rt], date(2026, 2, 10))
        assert many[rt.id][0].status == StageStatus.MENUNGGU_TINJAUAN
        assert await schedule.latest_reports(session, []) == {}
