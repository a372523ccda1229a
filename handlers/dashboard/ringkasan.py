"""Ringkasan, the overview page: where the stages stand (a bar chart drawn here as SVG, and the same numbers as a
table), funds by kecamatan, participation, and who cannot be reached. Every number links to the RT list of exactly
the RTs behind it (services/overview.py gives each its filter)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.dashboard.rt_words import list_href, status_label
from handlers.formatting import tanggal
from handlers.i18n import _
from services.models import Role
from services.overview import BUCKETS, Count, Progress, overview
from services.program import Program
from services.web_sessions import SignedIn

# Bar colours by bucket: the stylesheet's status colours (bot/dashboard/static/dashboard.css).
COLOURS = dict(zip(BUCKETS, ("#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#b0bec5"), strict=True))
LABEL_WIDTH, BAR_WIDTH, ROW, BAR = 300, 680, 30, 20


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    href: str
    title: str


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (colour, label)


def chart(progress: Progress, names: dict[str, str]) -> Chart:
    """One horizontal bar per stage, split by bucket; each part links to its RTs."""
    bars = []
    for index, (kode, buckets) in enumerate(progress.stages.items()):
        total = sum(count.value for count in buckets.values()) or 1
        x = float(LABEL_WIDTH)
        segments = []
        for bucket, count in buckets.items():
            if not count.value:
                continue
            width = BAR_WIDTH * count.value / total
            title = f"{status_label(bucket)}: {count.value}"
            segments.append(Segment(round(x, 1), round(width, 1), COLOURS[bucket], list_href(count.filter), title))
            x += width
        bars.append(Bar(index * ROW, names.get(kode, kode), segments))
    legend = [(COLOURS[bucket], status_label(bucket)) for bucket in BUCKETS]
    return Chart(LABEL_WIDTH + BAR_WIDTH, len(bars) * ROW, LABEL_WIDTH, BAR, bars, legend)


def href(count: Count) -> str:
    return list_href(count.filter)


async def ringkasan_page(session: AsyncSession, program: Program, viewer: SignedIn, today: date) -> str:
    seen = await overview(session, program, viewer.person, today)
    with speaking(viewer):
        title = _("Overview")
        scope = _("All RTs of Kota Jambi") if viewer.person.role == Role.ADMIN else _("The RTs assigned to you")
        drawn = chart(seen.progress, seen.stage_names)
        bucket_labels = [(bucket, status_label(bucket)) for bucket in BUCKETS]
        as_of = _("Status on {date}", date=tanggal(today))
    return page(
        "ringkasan.html",
        viewer,
        title=title,
        active="ringkasan",
        scope=scope,
        as_of=as_of,
        seen=seen,
        chart=drawn,
        buckets=bucket_labels,
        href=href,
        stage_names=seen.stage_names,
    )
