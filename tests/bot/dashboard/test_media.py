"""Photos are served only through the permission check: the RT's pendamping and admins, nobody else."""

from sqlalchemy import select

from services.media import MediaStore
from services.models import RT, Media, Role
from tests.bot.dashboard.running import Dashboard

RT_OF_DEWI = "15.71.01.1001-001"
JPEG = b"\xff\xd8\xff\xe0" + b"kampung" * 50


async def _stored_photo(dashboard: Dashboard, rt_kode: str | None) -> int:
    store = MediaStore(dashboard.app.settings.media_dir)
    async with dashboard.app.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode)) if rt_kode else None
        sha256, path = store.write(session, JPEG, ".jpg")
        media = Media(
            sha256=sha256, path=path, size=len(JPEG), mime_type="image/jpeg", kind="photo", rt_id=rt.id if rt else None
        )
        session.add(media)
        await session.flush()
        return media.id


async def test_the_rts_pendamping_and_an_admin_see_the_photo(dashboard: Dashboard) -> None:
    media_id = await _stored_photo(dashboard, RT_OF_DEWI)
    for nama in ("Dewi Lubis", "Ani Admin"):
        browser = await dashboard.signed_in(await dashboard.person(nama))
        response = await browser.get(f"/media/{media_id}")
        assert (response.status_code, response.content) == (200, JPEG), nama
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"].startswith("private")


async def test_the_pendamping_of_other_rts_is_refused(dashboard: Dashboard) -> None:
    media_id = await _stored_photo(dashboard, RT_OF_DEWI)
    browser = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))
    response = await browser.get(f"/media/{media_id}")
    assert response.status_code == 403 and JPEG not in response.content


async def test_a_file_of_no_rt_is_for_admins_only_and_a_missing_one_is_not_found(dashboard: Dashboard) -> None:
    media_id = await _stored_photo(dashboard, None)
    dewi = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    assert (await dewi.get(f"/media/{media_id}")).status_code == 403
    admin = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    assert (await admin.get(f"/media/{media_id}")).status_code == 200
    assert (await admin.get("/media/999999")).status_code == 404


async def test_a_ketua_rt_has_no_way_in(dashboard: Dashboard) -> None:
    ketua = await dashboard.add_person("Pak Ketua", Role.KETUA_RT, RT_OF_DEWI)
    media_id = await _stored_photo(dashboard, RT_OF_DEWI)
    browser = dashboard.browser()
    response = await browser.get(f"/media/{media_id}")
    assert response.status_code == 303 and ketua.role == Role.KETUA_RT
