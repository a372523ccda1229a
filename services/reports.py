"""Stage reports: one report of one stage by one RT, with its answers and evidence (photos, documents).

A report is written whole or not at all: the report row, every media record and the audit row go into the same
unit of work, so a failure halfway leaves nothing behind.
"""

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services import audit, schedule
from services.media import Evidence, MediaStore, record_evidence
from services.models import RT, Person, ReportStatus, StageReport, utcnow
from services.problems import ProblemError
from services.program import Program, Stage

# Telegram lets a bot download at most 20 MB; the same cap everywhere keeps the media folder predictable.
MAX_FILE_BYTES = 20 * 1024 * 1024
# More than this in one report is a mistake (a whole gallery), not evidence.
MAX_FILES = 30
PHOTO = "photo"
DOCUMENT = "document"
IMAGE_CLAIM = re.compile(r"image/[a-z0-9][a-z0-9.+-]*")


def claims_image(mime: str) -> bool:
    # Only a hint before downloading (the content decides, see services/filecheck.py), but a type that is no
    # plain "image/<name>" (`image/../../x`) or is SVG (a drawing that can carry scripts) is refused right away.
    return IMAGE_CLAIM.fullmatch(mime) is not None and "svg" not in mime


def evidence_problem(kind: str, mime_type: str, size: int | None) -> str | None:
    """Why a file cannot be evidence (a problem code), or None when it can; checked before downloading it."""
    mime = (mime_type or "").lower()
    if size is not None and size > MAX_FILE_BYTES:
        return "file_too_large"
    if size == 0:
        return "file_empty"
    if kind == PHOTO:
        return None if claims_image(mime) else "not_an_image"
    if kind == DOCUMENT:
        return None if mime == "application/pdf" or claims_image(mime) else "not_pdf_or_image"
    return "not_a_file"


def stage_problem(stage: Stage, counts_as: str) -> str | None:
    """A PDF for a stage that asks for photos only and names no document: it would be kept and never count, so it
    is refused. (A stage naming a document, like the SK Pokja, takes it as a PDF even when it is not required.)"""
    if counts_as == DOCUMENT and stage.dokumen_min == 0 and stage.foto_min > 0 and not stage.dokumen_nama:
        return "stage_takes_photos"
    return None


def evidence_kind(stage: Stage, kind: str, mime_type: str, photos: int = 0, documents: int = 0) -> str:
    """What a file counts as for this stage, `photos` and `documents` being what was already received.

    People photograph paper documents, and send photos "as file" to keep their quality: when a stage asks for only
    one of the two, an image counts towards what it asks for. When it asks for both and names its documents (a
    Berita Acara may come as a photo), an image counts as the document once the photos are enough.
    """
    is_image = claims_image((mime_type or "").lower())
    if kind == PHOTO and stage.foto_min == 0 and stage.dokumen_min > 0:
        return DOCUMENT
    if kind == DOCUMENT and is_image and stage.dokumen_min == 0 and stage.foto_min > 0:
        return PHOTO
    if is_image and stage.dokumen_nama and photos >= stage.foto_min and documents < stage.dokumen_min:
        return DOCUMENT
    return kind


def missing_evidence(stage: Stage, photos: int, documents: int) -> tuple[int, int]:
    """(photos, documents) still needed."""
    return max(stage.foto_min - photos, 0), max(stage.dokumen_min - documents, 0)


async def reportable_stages(
    session: AsyncSession, program: Program, rt: RT, role: str, today: date
) -> list[schedule.StageState]:
    states = await schedule.rt_stage_states(session, program, rt, today)
    return schedule.reportable(states, role)


async def submit_report(
    session: AsyncSession,
    program: Program,
    store: MediaStore,
    rt: RT,
    stage_key: str,
    *,
    happened_on: date,
    answers: dict,
    evidence: list[Evidence],
    person: Person,
    actor: str,
    today: date,
    latitude: float | None = None,
    longitude: float | None = None,
    now: datetime | None = None,
) -> StageReport:
    """Save a report waiting for the pendamping's review, with its media. Raises ProblemError; nothing saved then."""
    try:
        stage = program.stage(stage_key)
    except KeyError:
        raise ProblemError.one("report_unknown_stage", stage=stage_key) from None
    open_now = await reportable_stages(session, program, rt, person.role, today)
    if stage_key not in {s.stage.kode for s in open_now}:
        raise ProblemError.one("report_not_open", stage=stage_key)
    if happened_on > today:
        raise ProblemError.one("report_future_date", day=happened_on.isoformat())
    missing_answers = [f.kode for f in stage.isian if f.kode not in answers]
    if missing_answers:
        raise ProblemError.one("report_missing_answers", fields=missing_answers)
    if len(evidence) > MAX_FILES:
        raise ProblemError.one("report_too_many_files", count=len(evidence), maximum=MAX_FILES)
    for item in evidence:
        # The detected type when the flow checked the bytes already; record_evidence checks them in any case.
        mime_type = item.checked.mime_type if item.checked else item.mime_type
        problem = evidence_problem(item.kind, mime_type, len(item.content))
        if problem:
            raise ProblemError.one(f"report_{problem}", name=item.original_name)
    photos = sum(1 for e in evidence if e.kind == PHOTO)
    documents = sum(1 for e in evidence if e.kind == DOCUMENT)
    if any(missing_evidence(stage, photos, documents)):
        raise ProblemError.one("report_missing_evidence", photos=photos, documents=documents)
    report = StageReport(
        rt_id=rt.id,
        stage_key=stage_key,
        status=ReportStatus.MENUNGGU_TINJAUAN,
        happened_on=happened_on,
        answers=dict(answers),
        latitude=latitude,
        longitude=longitude,
        submitted_by_id=person.id,
        submitted_at=now or utcnow(),
    )
    session.add(report)
    await session.flush()
    for item in evidence:
        await record_evidence(
            session, store, item, uploaded_by_id=person.id, rt_id=rt.id, stage_key=stage_key, report_id=report.id
        )
    audit.record(
        session,
        actor=actor,
        action="report.submit",
        entity="stage_report",
        entity_id=report.id,
        person_id=person.id,
        rt=rt.kode,
        stage=stage_key,
        photos=photos,
        documents=documents,
    )
    await session.flush()
    return report


async def get_report(session: AsyncSession, report_id: int) -> StageReport | None:
    """The report with its media loaded (async sessions cannot load them lazily later)."""
    return await session.scalar(
        select(StageReport).where(StageReport.id == report_id).options(selectinload(StageReport.media))
    )


async def list_reports(
    session: AsyncSession,
    rt_id: int | None = None,
    *,
    stage_key: str | None = None,
    status: str | None = None,
    rt_ids: list[int] | None = None,
) -> list[StageReport]:
    """Reports, newest first, filtered by RT (or a set of RTs), stage and status."""
    query = select(StageReport).options(selectinload(StageReport.media)).order_by(StageReport.id.desc())
    if rt_id is not None:
        query = query.where(StageReport.rt_id == rt_id)
    if rt_ids is not None:
        query = query.where(StageReport.rt_id.in_(rt_ids))
    if stage_key is not None:
        query = query.where(StageReport.stage_key == stage_key)
    if status is not None:
        query = query.where(StageReport.status == status)
    return list(await session.scalars(query))
