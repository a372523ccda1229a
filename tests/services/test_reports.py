"""Stage reports: checked whole, saved whole (report, media, audit) or not at all."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from services import reports
from services.media import Evidence, MediaStore
from services.models import AuditLog, Media, Person, ReportStatus, Role, StageReport
from services.problems import ProblemError
from services.rts import get_rt
from tests.handlers.conftest import load_roster
from tests.images import jpeg

RT_A = "15.71.01.1001-001"  # Kelompok A
FEB_10 = date(2026, 2, 10)


def photo(n: int) -> reports.Evidence:
    return Evidence("photo", "image/jpeg", jpeg(n), f"file-{n}", f"foto{n}.jpg")


async def setup(db, program) -> int:
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        ketua = Person(nama="Pak Ketua", role=Role.KETUA_RT, rt_id=rt.id)
        session.add(ketua)
        await session.flush()
        return ketua.id


async def submit(db, program, store, ketua_id, stage="sosialisasi", evidence=None, answers=None, **kwargs):
    async with db.unit_of_work() as session:
        rt = await get_rt(session, RT_A)
        person = await session.get(Person, ketua_id)
        return await reports.submit_report(
            session,
            program,
            store,
            rt,
            stage,
            happened_on=kwargs.pop("happened_on", date(2026, 2, 9)),
            answers=answers or {},
            evidence=[photo(1)] if evidence is None else evidence,
            person=person,
            actor="test",
            today=kwargs.pop("today", FEB_10),
            **kwargs,
        )


async def count(db, model) -> int:
    async with db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("kind", "mime", "size", "problem"),
    [
        ("photo", "image/jpeg", 1000, None),
        ("photo", "image/png", None, None),
        ("photo", "video/mp4", 1000, "not_an_image"),
        ("photo", "image/jpeg", 21 * 1024 * 1024, "file_too_large"),
        ("document", "application/pdf", 20 * 1024 * 1024, None),
        ("document", "image/jpeg", 10, None),
        ("document", "application/zip", 10, "not_pdf_or_image"),
        ("document", "", 10, "not_pdf_or_image"),
        ("voice", "audio/ogg", 10, "not_a_file"),
    ],
)
def test_evidence_problem(kind, mime, size, problem):
    assert reports.evidence_problem(kind, mime, size) == problem


def test_evidence_kind_follows_what_the_stage_asks(program):
    photos_only, documents_only, both = (program.stage(k) for k in ("sosialisasi", "proposal", "serah_terima"))
    assert reports.evidence_kind(photos_only, "document", "image/jpeg") == "photo"
    assert reports.evidence_kind(photos_only, "document", "application/pdf") == "document"
    assert reports.evidence_kind(documents_only, "photo", "image/jpeg") == "document"
    assert reports.evidence_kind(both, "photo", "image/jpeg") == "photo"
    assert reports.evidence_kind(both, "document", "image/jpeg") == "document"
    assert reports.missing_evidence(both, 0, 1) == (1, 0)


def test_a_stage_naming_its_documents_takes_them_as_a_pdf_or_a_photo(program):
    pokja, both = program.stage("pembentukan_pokja"), program.stage("serah_terima")
    # The SK Pokja as a PDF is taken on a stage that needs only photos, because the stage names it.
    assert reports.stage_problem(pokja, "document") is None
    assert reports.stage_problem(program.stage("sosialisasi"), "document") == "stage_takes_photos"
    # The photographed Berita Acara counts as the document once the photos are enough, not before.
    assert reports.evidence_kind(both, "photo", "image/jpeg", photos=0, documents=0) == "photo"
    assert reports.evidence_kind(both, "photo", "image/jpeg", photos=1, documents=0) == "document"
    assert reports.evidence_kind(both, "photo", "image/jpeg", photos=1, documents=1) == "photo"


async def test_report_with_media_and_audit(db, program, tmp_path):
    ketua_id = await setup(db, program)
    store = MediaStore(tmp_path)
    report = await submit(db, program, store, ketua_id, evidence=[photo(1), photo(2)], latitude=-1.6, longitude=103.6)
    async with db.unit_of_work() as session:
        saved = await reports.get_report(session, report.id)
        assert (saved.status, saved.stage_key, saved.submitted_by_id) == (
            ReportStatus.MENUNGGU_TINJAUAN,
            "sosialisasi",
            ketua_id,
        )
        assert (saved.latitude, saved.longitude) == (-1.6, 103.6)
        assert [m.original_name for m in saved.media] == ["foto1.jpg", "foto2.jpg"]
        assert all(m.rt_id == saved.rt_id and m.uploaded_by_id == ketua_id for m in saved.media)
        assert all(m.stage_key == "sosialisasi" and m.channel_file_id for m in saved.media)
        assert (tmp_path / saved.media[0].path).read_bytes() == photo(1).content
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "report.submit"))
        listed = await reports.list_reports(session, saved.rt_id)
        assert [r.id for r in listed] == [report.id]
        assert await reports.list_reports(session, saved.rt_id, stage_key="rembuk_warga") == []
        assert len(await reports.list_reports(session, status=ReportStatus.MENUNGGU_TINJAUAN)) == 1
        assert await reports.get_report(session, 999) is None


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"stage": "tidak_ada"}, "report_unknown_stage"),
        ({"stage": "rembuk_warga", "answers": {"jumlah_hadir": 1, "jumlah_kk_hadir": 1}}, "report_not_open"),
        ({"stage": "pencairan_dana"}, "report_not_open"),
        ({"evidence": []}, "report_missing_evidence"),
        ({"evidence": [replace(photo(1), mime_type="video/mp4")]}, "report_not_an_image"),
        ({"happened_on": date(2026, 2, 11)}, "report_future_date"),
        ({"evidence": [photo(n) for n in range(31)]}, "report_too_many_files"),
    ],
)
async def test_refusals_save_nothing(db, program, tmp_path, kwargs, code):
    ketua_id = await setup(db, program)
    with pytest.raises(ProblemError) as refused:
        await submit(db, program, MediaStore(tmp_path), ketua_id, **kwargs)
    assert refused.value.problems[0].code == code
    assert await count(db, StageReport) == 0
    assert await count(db, Media) == 0


async def test_answers_of_the_stage_are_required(db, program, tmp_path):
    ketua_id = await setup(db, program)
    store = MediaStore(tmp_path)
    await submit(db, program, store, ketua_id)
    with pytest.raises(ProblemError) as refused:
        await submit(db, program, store, ketua_id, stage="rembuk_warga", evidence=[photo(1), photo(2)])
    assert refused.value.problems[0].code == "report_missing_answers"
    assert refused.value.problems[0].params["fields"] == ["jumlah_hadir", "jumlah_kk_hadir"]


async def test_a_report_waiting_for_review_cannot_be_sent_twice(db, program, tmp_path):
    ketua_id = await setup(db, program)
    store = MediaStore(tmp_path)
    await submit(db, program, store, ketua_id)
    with pytest.raises(ProblemError) as refused:
        await submit(db, program, store, ketua_id)
    assert refused.value.problems[0].code == "report_not_open"
    assert await count(db, StageReport) == 1
