"""`/contoh`: example photos of the stage the RT is at now, from other RTs' approved reports marked as examples —
through the engine, on SQLite and PostgreSQL. 15 Maret 2026: Kelompok A is late on its January/February stages,
Kelompok B starts in August."""

from sqlalchemy import select

from services import examples
from services.models import Media, Person, ReportStatus, Role
from tests.handlers.flows.pendamping import RT_1, RT_2, RT_3, make_report, person_of, registered, text_of

REMBUK = {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}


async def example(world, rt_kode: str, stage: str, by: Person, *, answers=None, photos: int = 1) -> tuple[int, str]:
    """An approved report marked as an example by the admin; its id and its first photo's stored path."""
    report_id = await make_report(
        world, rt_kode, stage, by, status=ReportStatus.DISETUJUI, answers=answers, photos=photos
    )
    async with world.db.unit_of_work() as session:
        admin = Person(nama="Ani Admin", role=Role.ADMIN)
        session.add(admin)
        await session.flush()
        await examples.mark(session, admin, report_id, actor="test")
        path = await session.scalar(select(Media.path).where(Media.report_id == report_id).order_by(Media.id))
    return report_id, path


async def test_without_an_example_it_says_so_and_points_to_the_schedule(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    other = await person_of(world, await registered(world, Role.KETUA_RT, RT_2))
    await make_report(world, RT_2, "sosialisasi", other, status=ReportStatus.DISETUJUI)  # approved, not marked
    replies = await ketua.send("/contoh")
    assert text_of(replies) == (
        "Belum ada contoh untuk tahap Sosialisasi. Pendamping memilih contoh dari laporan yang sudah disetujui; "
        "silakan coba lagi nanti. Kirim /jadwal untuk melihat jadwal RT."
    )
    assert all(r.attachments == () for r in replies)


async def test_examples_of_the_stage_to_report_now_with_their_photos(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    joko = await person_of(world, await registered(world, Role.KETUA_RT, RT_3, "Joko"))
    sari = await person_of(world, await registered(world, Role.KETUA_RT, RT_2, "Sari"))
    _first, joko_photo = await example(world, RT_3, "sosialisasi", joko, photos=2)
    _second, sari_photo = await example(world, RT_2, "sosialisasi", sari)
    await example(world, RT_3, "rembuk_warga", joko, answers=REMBUK)  # another stage: not now

    replies = await ketua.send("/contoh")
    assert replies[0].text == "Contoh laporan tahap Sosialisasi dari RT lain (sudah diperiksa pendamping):"
    shown = replies[1:-1]
    # Neither RT is of the pilot and both met on the same day: the newer report first.
    assert [r.text for r in shown] == [
        "Contoh dari RT 002 Kel. Simpang IV Sipin, 20 Februari 2026",
        "Contoh dari RT 003 Kel. Buluran Kenali, 20 Februari 2026",
    ]
    # One photo per example, the report's first.
    assert [r.attachments for r in shown] == [((sari_photo, "photo"),), ((joko_photo, "photo"),)]
    assert replies[-1].text == "Setelah kegiatannya selesai, kirim /lapor untuk melaporkannya."


async def test_the_next_stage_once_the_first_is_reported_with_its_answers(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    budi = await person_of(world, ketua)
    joko = await person_of(world, await registered(world, Role.KETUA_RT, RT_3, "Joko"))
    await example(world, RT_3, "sosialisasi", joko)
    await example(world, RT_3, "rembuk_warga", joko, answers=REMBUK)
    await make_report(world, RT_1, "sosialisasi", budi)  # reported, waiting for review: the RT is at Rembuk Warga
    replies = await ketua.send("/contoh")
    assert replies[0].text == "Contoh laporan tahap Rembuk Warga dari RT lain (sudah diperiksa pendamping):"
    assert replies[1].text == (
        "Contoh dari RT 003 Kel. Buluran Kenali, 20 Februari 2026\n"
        "Jumlah warga yang hadir: 45 · Jumlah KK yang hadir: 30"
    )
    assert len(replies) == 3


async def test_an_rt_not_started_sees_its_first_upcoming_stage(world):
    ketua = await registered(world, Role.KETUA_RT, RT_3, "Joko")
    sari = await person_of(world, await registered(world, Role.KETUA_RT, RT_1, "Sari"))
    _report, path = await example(world, RT_1, "sosialisasi", sari)
    replies = await ketua.send("/contoh")
    assert replies[0].text.startswith("Contoh laporan tahap Sosialisasi")
    assert replies[1].attachments == ((path, "photo"),)
    assert replies[-1].text == "Kirim /jadwal untuk melihat kapan tahap ini harus dilaporkan."


async def test_the_menu_of_the_ketua_rt_offers_it(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1)
    assert "/contoh — contoh laporan dari RT lain" in text_of(await ketua.send("/bantuan"))
