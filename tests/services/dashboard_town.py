"""A small city for the dashboard's services: four RTs in two kecamatan, two pendamping, reports, funds, files.

RT 1 (A, 87 KK, pilot, Dewi): both seats registered; sosialisasi and rembuk warga approved (150 residents, 60 KK
present), pemetaan swadaya waiting (Rp2.000.000 and "semen 10 sak"); Rp70.000.000 received (its allocation) plus
a cancelled receipt and one whose report was sent back; Rp10.000.000 spent plus a cancelled item; two photos.
RT 2 (A, no KK count, Dewi): only the Ketua RT registered; sosialisasi sent back; Rp50.000.000 received (mismatch:
the allocation is unknown).
RT 1 of Pasir Putih (B, 120 KK, Rudi): a Ketua RT whose channel is blocked, no bendahara.
RT 2 of Pasir Putih (B, 45 KK, Rudi): nobody, nothing.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from services import roster, wilayah
from services.db import Database
from services.media import MediaStore
from services.models import RT, ChannelIdentity, FundReceipt, Media, Person, ReportStatus, Role, Spending, StageReport
from services.program import Program
from tests.images import jpeg

TODAY = date(2026, 3, 15)
ROSTER = [
    ("15.71.01.1001", "1", "A", "87", "ya", "Dewi Lubis"),
    ("15.71.01.1001", "2", "A", "", "tidak", "Dewi Lubis"),
    ("15.71.02.1002", "1", "B", "120", "tidak", "Rudi Saputra"),
    ("15.71.02.1002", "2", "B", "45", "tidak", "Rudi Saputra"),
]
RT1, RT2, RT3, RT4 = "15.71.01.1001-001", "15.71.01.1001-002", "15.71.02.1002-001", "15.71.02.1002-002"
PHOTO_1, PHOTO_2 = jpeg(1), jpeg(2)


@dataclass
class Town:
    rts: dict[str, RT]
    admin: Person
    dewi: Person
    rudi: Person
    ketua_1: Person
    store: MediaStore
    photos: dict[str, bytes]  # media path → bytes, RT 1's


async def build(db: Database, program: Program, media_root: Path) -> Town:
    table = [dict(zip(roster.COLUMNS, row, strict=True)) for row in ROSTER]
    store = MediaStore(media_root)
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(table, await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="test")
        rts = {rt.kode: rt for rt in await session.scalars(select(RT))}
        pendamping = {p.nama: p for p in await session.scalars(select(Person).where(Person.role == Role.PENDAMPING))}
        admin = Person(nama="Admin Dinas", role=Role.ADMIN)
        ketua_1 = Person(nama="Ketua Satu", role=Role.KETUA_RT, rt_id=rts[RT1].id)
        bendahara_1 = Person(nama="Bendahara Satu", role=Role.BENDAHARA, rt_id=rts[RT1].id)
        ketua_2 = Person(nama="Ketua Dua", role=Role.KETUA_RT, rt_id=rts[RT2].id)
        bendahara_2 = Person(nama="Bendahara Dua (no channel)", role=Role.BENDAHARA, rt_id=rts[RT2].id)
        ketua_3 = Person(nama="Ketua Tiga", role=Role.KETUA_RT, rt_id=rts[RT3].id)
        session.add_all([admin, ketua_1, bendahara_1, ketua_2, bendahara_2, ketua_3])
        await session.flush()
        blocked = datetime(2026, 3, 1, tzinfo=UTC)
        for external, person in enumerate([ketua_1, bendahara_1, ketua_2, ketua_3]):
            session.add(
                ChannelIdentity(
                    person_id=person.id,
                    channel="telegram",
                    external_id=str(100 + external),
                    unreachable_at=blocked if person is ketua_3 else None,
                    unreachable_reason="blocked" if person is ketua_3 else None,
                )
            )

        def report(rt: str, stage: str, status: str, answers: dict | None = None, by: Person = ketua_1) -> StageReport:
            row = StageReport(
                rt_id=rts[rt].id,
                stage_key=stage,
                status=status,
                happened_on=date(2026, 2, 10),
                answers=answers or {},
                submitted_by_id=by.id,
            )
            session.add(row)
            return row

        report(RT1, "sosialisasi", ReportStatus.DIKEMBALIKAN)  # an older report: the newer one below counts
        await session.flush()
        sosialisasi = report(RT1, "sosialisasi", ReportStatus.DISETUJUI)
        report(RT1, "rembuk_warga", ReportStatus.DISETUJUI, {"jumlah_hadir": 150, "jumlah_kk_hadir": 60})
        report(RT1, "pemetaan_swadaya", ReportStatus.MENUNGGU_TINJAUAN, {"swadaya_rupiah": 2_000_000,
               "swadaya_barang": "semen 10 sak"})  # fmt: skip
        counted = report(RT1, "pencairan_dana", ReportStatus.DIKEMBALIKAN, by=bendahara_1)
        await session.flush()
        approved_funds = report(RT1, "pencairan_dana", ReportStatus.DISETUJUI, by=bendahara_1)
        report(RT2, "sosialisasi", ReportStatus.DIKEMBALIKAN, by=ketua_2)
        funds_2 = report(RT2, "pencairan_dana", ReportStatus.MENUNGGU_TINJAUAN, by=ketua_2)
        await session.flush()

        photos = {}
        for content, stage_report in ((PHOTO_1, sosialisasi), (PHOTO_2, sosialisasi)):
            sha, path = store.write(session, content, ".jpg")
            photos[path] = content
            session.add(
                Media(sha256=sha, path=path, size=len(content), mime_type="image/jpeg", kind="photo",
                      uploaded_by_id=ketua_1.id, rt_id=rts[RT1].id, stage_key="sosialisasi",
                      report_id=stage_report.id, original_name="foto.jpg")
            )  # fmt: skip

        def receipt(rt: str, amount: int, report: StageReport, cancelled: bool = False) -> None:
            session.add(
                FundReceipt(rt_id=rts[rt].id, amount=amount, expected_amount=program.allocation(rts[rt].jumlah_kk),
                            received_on=date(2026, 4, 2), report_id=report.id, recorded_by_id=bendahara_1.id,
                            cancelled_at=blocked if cancelled else None)
            )  # fmt: skip

        receipt(RT1, 70_000_000, approved_funds)
        receipt(RT1, 5_000_000, approved_funds, cancelled=True)
        receipt(RT1, 3_000_000, counted)  # its report was sent back
        receipt(RT2, 50_000_000, funds_2)
        for amount, cancelled in ((10_000_000, False), (1_000_000, True)):
            session.add(
                Spending(rt_id=rts[RT1].id, amount=amount, description="Semen", bidang="penataan_lingkungan",
                         spent_on=date(2026, 4, 5), recorded_by_id=bendahara_1.id,
                         cancelled_at=blocked if cancelled else None)
            )  # fmt: skip
    return Town(rts, admin, pendamping["Dewi Lubis"], pendamping["Rudi Saputra"], ketua_1, store, photos)
