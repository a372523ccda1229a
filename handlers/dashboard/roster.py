"""Roster upload (admins): the form with the expected columns, and what an upload did — every bad row with its
number, or the counts of a successful import, in the words of the CLI's `roster import`."""

from handlers.dashboard.pages import page, speaking
from handlers.i18n import _
from handlers.problems import describe_row
from services.problems import ProblemError
from services.roster import COLUMNS, ImportSummary
from services.web_sessions import SignedIn

MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
EXAMPLE = (
    ("15.71.01.1001", "1", "A", "87", "ya", "Dewi Lubis"),
    ("15.71.01.1001", "2", "A", "", "tidak", "Dewi Lubis"),
    ("15.71.01.1002", "3", "B", "120", "tidak", "Rudi Saputra"),
)


def _columns() -> list[tuple[str, str]]:
    meanings = {
        "kode_kelurahan": _("Code of the kelurahan, e.g. 15.71.01.1001."),
        "rt": _("RT number, from 1 to 999."),
        "kelompok": _("A or B."),
        "jumlah_kk": _("Number of KK (kepala keluarga); may be empty."),
        "pilot_2025": _("ya or tidak; may be empty (tidak)."),
        "pendamping": _("Name of the pendamping; may be empty."),
    }
    return [(name, meanings[name]) for name in COLUMNS]


def roster_page(
    viewer: SignedIn,
    *,
    summary: ImportSummary | None = None,
    error: ProblemError | None = None,
    problem: str | None = None,
    file_name: str | None = None,
) -> str:
    """The upload form; above it the result of the last upload (`summary`), or why nothing was imported."""
    with speaking(viewer):
        title = _("Roster")
        problems = [describe_row(p) for p in error.problems] if error else []
        if problem:
            problems.insert(0, problem)
        heading = None
        if problems:
            heading = _(
                "{file}: nothing was imported. Correct these rows in the file and upload it again:",
                file=file_name or "-",
            )
        done = None
        if summary is not None:
            done = _(
                "{total} RTs: {created} new, {updated} updated, {unchanged} unchanged.",
                total=summary.total,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
            )
        columns = _columns()
    return page(
        "roster.html",
        viewer,
        title=title,
        active="roster",
        problems=problems,
        problem_heading=heading,
        done=done,
        columns=columns,
        example=[",".join(COLUMNS), *(",".join(row) for row in EXAMPLE)],
        max_mb=MAX_UPLOAD_MB,
    )


def too_large(size_mb: int = MAX_UPLOAD_MB) -> str:
    return _(
        "The file is larger than {maximum} MB. Keep only the roster sheet (or save it as CSV) and upload it again.",
        maximum=size_mb,
    )


def no_file() -> str:
    return _("Choose a .csv or .xlsx file first.")
