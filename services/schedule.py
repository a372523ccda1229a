"""Where an RT stands on its Kelompok timeline: each stage's status on a given day.

One function computes it from the program file and the RT's latest report per stage, so `/jadwal`, `/rt`,
`/lapor`, the reminders and the dashboard can never disagree.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import RT, ReportStatus, StageReport
from services.program import Program, Stage


class StageStatus(StrEnum):
    SELESAI = "selesai"  # approved by the pendamping
    MENUNGGU_TINJAUAN = "menunggu_tinjauan"  # reported, waiting for review
    DIKEMBALIKAN = "dikembalikan"  # sent back with a reason: to fix and report again
    JATUH_TEMPO = "jatuh_tempo"  # due this month
    TERLAMBAT = "terlambat"  # its last month has passed
    AKAN_DATANG = "akan_datang"  # upcoming


OPEN = (StageStatus.JATUH_TEMPO, StageStatus.TERLAMBAT, StageStatus.DIKEMBALIKAN)


# slots: the dashboard builds one per stage of every RT of the city (16,000) for a list; this halves their cost.
@dataclass(frozen=True, slots=True)
class StageState:
    stage: Stage
    status: StageStatus
    months: tuple[date, ...]
    report_id: int | None = None
    # Overdue even if it was sent back: the month has passed and it is still not accepted.
    late: bool = False


def month_of(day: date) -> date:
    return day.replace(day=1)


# A report's status → the stage's status. A dict and module names rather than enum lookups in the loop: the dashboard
# runs this for every RT of the city per page, and attribute access on an enum class is slow.
_BY_REPORT = {
    ReportStatus.DISETUJUI: StageStatus.SELESAI,  # approved by the pendamping
    ReportStatus.MENUNGGU_TINJAUAN: StageStatus.MENUNGGU_TINJAUAN,
    ReportStatus.DIKEMBALIKAN: StageStatus.DIKEMBALIKAN,
}
_SUBMITTED = frozenset((StageStatus.SELESAI, StageStatus.MENUNGGU_TINJAUAN))
_TERLAMBAT, _JATUH_TEMPO, _AKAN_DATANG = StageStatus.TERLAMBAT, StageStatus.JATUH_TEMPO, StageStatus.AKAN_DATANG


def stage_states(
    program: Program, kelompok: str, latest_reports: dict[str, StageReport], today: date
) -> list[StageState]:
    """Each stage of the Kelompok in program order, with its status on `today`."""
    current = month_of(today)
    states = []
    for stage in program.stages:
        months = stage.months(kelompok)
        report = latest_reports.get(stage.kode)
        late = current > months[-1]
        status = _BY_REPORT.get(report.status) if report is not None else None
        if status is None:
            if late:
                status = _TERLAMBAT
            elif current >= months[0]:
                status = _JATUH_TEMPO
            else:
                status = _AKAN_DATANG
        states.append(
            StageState(stage, status, months, report.id if report else None, late and status not in _SUBMITTED)
        )
    return states


def reportable(states: list[StageState], role: str) -> list[StageState]:
    """Stages this role may report now: open (due, overdue or sent back) with every prerequisite reported."""
    submitted = {s.stage.kode for s in states if s.status in (StageStatus.SELESAI, StageStatus.MENUNGGU_TINJAUAN)}
    return [
        s
        for s in states
        if s.stage.pelapor == role and s.status in OPEN and all(before in submitted for before in s.stage.setelah)
    ]


def urgency(states: list[StageState]) -> tuple[int, int, int]:
    """Sort key, most urgent first when sorted ascending: (−overdue, −sent back, −due)."""
    overdue = sum(1 for s in states if s.late)
    sent_back = sum(1 for s in states if s.status == StageStatus.DIKEMBALIKAN)
    due = sum(1 for s in states if s.status == StageStatus.JATUH_TEMPO)
    return (-overdue, -sent_back, -due)


async def latest_reports(session: AsyncSession, rt_ids: Iterable[int]) -> dict[int, dict[str, StageReport]]:
    """The newest report of each stage for each RT, in one query."""
    ids = list(rt_ids)
    result: dict[int, dict[str, StageReport]] = defaultdict(dict)
    if not ids:
        return result
    rows = await session.scalars(select(StageReport).where(StageReport.rt_id.in_(ids)).order_by(StageReport.id))
    for report in rows:
        result[report.rt_id][report.stage_key] = report  # later ids overwrite earlier ones
    return result


async def rt_stage_states(session: AsyncSession, program: Program, rt: RT, today: date) -> list[StageState]:
    reports = await latest_reports(session, [rt.id])
    return stage_states(program, rt.kelompok, reports[rt.id], today)


async def stage_states_for_rts(
    session: AsyncSession, program: Program, rts: list[RT], today: date
) -> dict[int, list[StageState]]:
    reports = await latest_reports(session, [rt.id for rt in rts])
    return {rt.id: stage_states(program, rt.kelompok, reports[rt.id], today) for rt in rts}
