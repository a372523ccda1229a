"""The dashboard's overview (Ringkasan): stage progress, funds, participation and reachability in numbers.

Every number carries the RTFilter that lists exactly the RTs behind it, so the page links each number to the RT
list. The numbers are computed from the same rows as the list (services/rt_table.py) with the same predicates
(`status_matches`, the row's own flags), so a number and its list cannot disagree.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.models import Person
from services.program import KELOMPOK, Program
from services.rt_filter import NOT_STARTED, RTFilter
from services.rt_table import IN_THREAD_FROM, RTRow, iter_rt_rows, status_matches
from services.schedule import StageState, StageStatus

# Where a stage stands for one RT, in five buckets that never overlap and together cover every RT: approved,
# waiting for review, sent back (late or not), never reported and its month has passed, never reported and not
# late yet (due now or upcoming). A filter `status` value each.
BUCKETS = (
    StageStatus.SELESAI.value,
    StageStatus.MENUNGGU_TINJAUAN.value,
    StageStatus.DIKEMBALIKAN.value,
    StageStatus.TERLAMBAT.value,
    NOT_STARTED,
)


@dataclass(frozen=True)
class Count:
    """A number on the overview and the RTs behind it. For a count of RTs, `value` is how many rows the filter
    lists; for a sum (rupiah, people), it is that sum over exactly those rows."""

    value: int
    filter: RTFilter


@dataclass
class Progress:
    """Stage × bucket counts of RTs for one group (the city, a Kelompok, a kecamatan)."""

    name: str
    rts: Count
    stages: dict[str, dict[str, Count]]  # stage kode → bucket → count


@dataclass
class Funds:
    name: str
    rts: Count
    allocation: Count  # RTs without a KK count have no allocation: counted in `no_allocation`
    received: Count
    spent: Count
    balance: Count
    mismatch: Count  # RTs whose confirmed funds are not their allocation
    no_allocation: Count


@dataclass
class Participation:
    hadir: Count  # residents present at the rembuk warga, all RTs together
    kk_hadir: Count
    jumlah_kk: Count  # the KK of the same RTs, to read kk_hadir against
    swadaya_rupiah: Count


@dataclass
class Overview:
    today: date
    rts: Count
    progress: Progress
    by_kelompok: list[Progress]
    by_kecamatan: list[Progress]
    funds: Funds
    funds_by_kecamatan: list[Funds]
    participation: Participation
    missing_ketua: Count
    missing_bendahara: Count
    missing_any: Count
    unreachable_people: Count  # people; the filter lists their RTs
    unreachable_rts: Count
    stage_names: dict[str, str] = field(default_factory=dict)


def bucket_of(state: StageState) -> str:
    """The one bucket a stage state falls in, by the same test the RT list's filter applies."""
    return next(bucket for bucket in BUCKETS if status_matches(state, bucket))


def _progress(
    program: Program, name: str, rows: list[RTRow], base: RTFilter, buckets: dict[int, list[tuple[str, str]]]
) -> Progress:
    """`buckets`: each row's (stage kode, bucket) pairs, worked out once for all the groups."""
    tally = {stage.kode: dict.fromkeys(BUCKETS, 0) for stage in program.stages}
    for row in rows:
        for kode, bucket in buckets[row.id]:
            tally[kode][bucket] += 1
    stages = {
        kode: {bucket: Count(n, base.but(stage=kode, status=bucket)) for bucket, n in counts.items()}
        for kode, counts in tally.items()
    }
    return Progress(name, Count(len(rows), base), stages)


def _funds(name: str, rows: list[RTRow], base: RTFilter) -> Funds:
    def total(value: Callable[[RTRow], int | None]) -> int:
        return sum(value(row) or 0 for row in rows)

    return Funds(
        name=name,
        rts=Count(len(rows), base),
        allocation=Count(total(lambda r: r.allocation), base),
        received=Count(total(lambda r: r.received), base),
        spent=Count(total(lambda r: r.spent), base),
        balance=Count(total(lambda r: r.balance), base),
        mismatch=Count(sum(1 for r in rows if r.fund_mismatch), base.but(fund_mismatch=True)),
        no_allocation=Count(sum(1 for r in rows if r.allocation is None), base.but(kk_known=False)),
    )


async def overview(session: AsyncSession, program: Program, viewer: Person, today: date) -> Overview:
    """The overview of every RT the viewer may see (nothing for anyone but pendamping and admins)."""
    rows = [row async for batch in iter_rt_rows(session, program, viewer, RTFilter(), today) for row in batch]
    # Summing 16,000 stage states for the city: in a thread, so the event loop keeps answering others meanwhile.
    return (
        await asyncio.to_thread(summarise, program, rows, today)
        if len(rows) > IN_THREAD_FROM
        else summarise(program, rows, today)
    )


def summarise(program: Program, rows: list[RTRow], today: date) -> Overview:
    """The overview of these rows. Pure: safe to run in a thread."""
    everyone = RTFilter()
    kecamatan = sorted({(row.kecamatan_kode, row.kecamatan) for row in rows})
    by_kecamatan = [(kode, nama, [r for r in rows if r.kecamatan_kode == kode]) for kode, nama in kecamatan]

    def total(value: Callable[[RTRow], int | None]) -> int:
        return sum(value(row) or 0 for row in rows)

    def rts_where(keep: Callable[[RTRow], bool], f: RTFilter) -> Count:
        return Count(sum(1 for row in rows if keep(row)), f)

    unreachable = RTFilter(unreachable=True)
    buckets = {row.id: [(s.stage.kode, bucket_of(s)) for s in row.states] for row in rows}
    return Overview(
        today=today,
        rts=Count(len(rows), everyone),
        progress=_progress(program, "", rows, everyone, buckets),
        by_kelompok=[
            _progress(program, k, [r for r in rows if r.kelompok == k], RTFilter(kelompok=k), buckets) for k in KELOMPOK
        ],
        by_kecamatan=[
            _progress(program, nama, part, RTFilter(kecamatan=kode), buckets) for kode, nama, part in by_kecamatan
        ],
        funds=_funds("", rows, everyone),
        funds_by_kecamatan=[_funds(nama, part, RTFilter(kecamatan=kode)) for kode, nama, part in by_kecamatan],
        participation=Participation(
            hadir=Count(total(lambda r: r.hadir), everyone),
            kk_hadir=Count(total(lambda r: r.kk_hadir), everyone),
            jumlah_kk=Count(total(lambda r: r.jumlah_kk if r.kk_hadir is not None else None), everyone),
            swadaya_rupiah=Count(total(lambda r: r.swadaya_rupiah), everyone),
        ),
        missing_ketua=rts_where(lambda r: not r.ketua_registered, RTFilter(registered=False)),
        missing_bendahara=rts_where(lambda r: not r.bendahara_registered, RTFilter(bendahara_registered=False)),
        missing_any=rts_where(
            lambda r: not (r.ketua_registered and r.bendahara_registered), RTFilter(seats_complete=False)
        ),
        unreachable_people=Count(total(lambda r: r.unreachable), unreachable),
        unreachable_rts=rts_where(lambda r: r.unreachable > 0, unreachable),
        stage_names={s.kode: s.nama for s in program.stages},
    )
