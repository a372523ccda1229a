"""The simulator over real HTTP (uvicorn serving the app), on SQLite and PostgreSQL: a pendamping or admin plays a
training Ketua RT through the same conversation core as Telegram, on a training RT of their own."""

import asyncio
import html
import re

import httpx
from sqlalchemy import func, select

from services.assignments import all_rts, rts_for
from services.models import RT, InboundUpdate, JumlahKKHistory, Media, OutboxMessage, ReportStatus, Role, StageReport
from tests.bot.dashboard.running import Dashboard, csrf_of
from tests.handlers.flows.ketua_setup import FEB_10, photo

REAL_KK = {"15.71.01.1001-001": 87, "15.71.01.1001-002": None, "15.71.01.1002-003": 120}


def field(page: str, name: str) -> str:
    found = re.findall(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field on the page"
    return html.unescape(found[-1])


def buttons(page: str) -> list[tuple[str, str]]:
    """(choice id, label) of the buttons of the latest question on the page."""
    forms = re.findall(r'<form method="post" action="/simulator/kirim" class="sim-choices">(.*?)</form>', page, re.S)
    assert forms, "no buttons on the page"
    return [
        (html.unescape(value), html.unescape(label.strip()))
        for value, label in re.findall(r'name="pilihan" value="([^"]*)"[^>]*>([^<]*)</button>', forms[-1])
    ]


class Player:
    """A signed-in browser on the simulator page, sending what a person would type or press."""

    def __init__(self, browser: httpx.AsyncClient, role: str = "ketua_rt") -> None:
        self.browser = browser
        self.role = role
        self.page = ""

    async def open(self) -> str:
        response = await self.browser.get(f"/simulator?peran={self.role}")
        assert response.status_code == 200, response.text
        self.page = response.text
        return self.page

    async def post(self, path: str, **data: str) -> httpx.Response:
        response = await self.browser.post(path, data={"csrf": csrf_of(self.page), "peran": self.role, **data})
        assert response.status_code == 303, response.text
        await self.open()
        return response

    async def start(self) -> str:
        await self.open()
        await self.post("/simulator/mulai")
        return self.page

    async def type(self, text: str) -> str:
        nonce = re.search(r'name="kirim" value="([^"]+t)"', self.page).group(1)
        await self.post("/simulator/kirim", teks=text, kirim=nonce)
        return self.page

    async def upload(self, *files: tuple[str, bytes, str]) -> str:
        nonce = re.search(r'name="kirim" value="([^"]+f)"', self.page).group(1)
        response = await self.browser.post(
            "/simulator/kirim",
            data={"csrf": csrf_of(self.page), "peran": self.role, "kirim": nonce},
            files=[("berkas", file) for file in files],
        )
        assert response.status_code == 303, response.text
        return await self.open()

    async def press(self, label: str) -> str:
        choice = next(value for value, shown in buttons(self.page) if label in shown)
        forms = re.findall(r'class="sim-choices">(.*?)</form>', self.page, re.S)
        token = re.search(r'name="token" value="(\d+)"', forms[-1]).group(1)
        nonce = re.search(r'name="kirim" value="([^"]+)"', forms[-1]).group(1)
        await self.post("/simulator/kirim", pilihan=choice, token=token, kirim=nonce)
        return self.page


async def _jumlah_kk(dashboard: Dashboard) -> dict[str, int | None]:
    async with dashboard.app.db.unit_of_work() as session:
        return {rt.kode: rt.jumlah_kk for rt in await session.scalars(select(RT).order_by(RT.kode))}


async def test_without_a_session_nothing_opens_or_is_sent(dashboard: Dashboard) -> None:
    browser = dashboard.browser()
    page = await browser.get("/simulator")
    assert (page.status_code, page.headers["location"]) == (303, "/masuk")
    for path in ("/simulator/mulai", "/simulator/kirim", "/simulator/ulang"):
        assert (await browser.post(path, data={"teks": "/kk"})).status_code == 401, path
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(RT).where(RT.latihan.is_(True))) == 0


async def test_every_form_needs_the_csrf_token(dashboard: Dashboard) -> None:
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await player.open()
    assert (await player.browser.post("/simulator/mulai", data={})).status_code == 403
    assert (await player.browser.post("/simulator/mulai", data={"csrf": "x" * 43})).status_code == 403
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(RT).where(RT.latihan.is_(True))) == 0
    await player.start()
    for path in ("/simulator/kirim", "/simulator/ulang"):
        response = await player.browser.post(path, data={"csrf": "x" * 43, "teks": "/kk"})
        assert response.status_code == 403, path
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0


async def test_a_pendamping_registers_the_kk_of_the_training_rt_and_no_real_rt_changes(dashboard: Dashboard) -> None:
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    page = await player.start()
    assert "Ketua RT Latihan" in page and "RT 901 Kel." in page and "LATIHAN" in page
    page = await player.type("/kk")
    assert "berapa KK" in page and "belum" in page
    page = await player.type("45")
    assert "Simpan" in [label for _id, label in buttons(page)]
    page = await player.press("Simpan")
    kk = await _jumlah_kk(dashboard)
    training = [kode for kode in kk if kode.endswith("-901")]
    assert len(training) == 1 and kk.pop(training[0]) == 45
    assert kk == REAL_KK
    async with dashboard.app.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == training[0]))
        changed = [*await session.scalars(select(JumlahKKHistory.new).where(JumlahKKHistory.rt_id == rt.id))]
    assert changed == [45] and rt.latihan and rt.pendamping_id is None
    # The transcript: what was typed and pressed, and the answers, in order.
    assert page.index("<p>/kk</p>") < page.index("berapa KK") < page.index("45") < page.rindex("Simpan")


async def test_the_same_form_posted_twice_is_one_message(dashboard: Dashboard) -> None:
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await player.start()
    nonce = re.search(r'name="kirim" value="([^"]+t)"', player.page).group(1)
    for _ in range(2):
        await player.browser.post(
            "/simulator/kirim", data={"csrf": csrf_of(player.page), "peran": "ketua_rt", "teks": "/kk", "kirim": nonce}
        )
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 1


async def test_two_viewers_train_apart(dashboard: Dashboard) -> None:
    dewi = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    ani = Player(await dashboard.signed_in(await dashboard.person("Ani Admin")))
    await dewi.start()
    await ani.start()
    await dewi.type("/kk")
    await dewi.type("45")
    await dewi.press("Simpan")
    page = await ani.open()
    assert "<p>/kk</p>" not in page and "berapa KK" not in page
    page = await ani.type("/kk")
    assert "belum" in page  # Ani's training RT has no KK yet: Dewi's 45 is on Dewi's RT
    kk = await _jumlah_kk(dashboard)
    assert sorted(kode[-3:] for kode in kk if kode not in REAL_KK) == ["901", "902"]
    assert [value for kode, value in sorted(kk.items()) if kode not in REAL_KK] == [45, None]


async def test_the_bendahara_is_a_conversation_of_its_own(dashboard: Dashboard) -> None:
    ketua = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await ketua.start()
    await ketua.type("/kk")
    bendahara = Player(ketua.browser, role="bendahara")
    page = await bendahara.open()
    assert "Bendahara Pokja Latihan" in page and "berapa KK" not in page
    page = await bendahara.type("/kk")
    assert "/kk bukan untuk peran Bapak/Ibu" in page


async def test_reset_starts_the_training_rt_over(dashboard: Dashboard) -> None:
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await player.start()
    await player.type("/kk")
    await player.type("45")
    await player.press("Simpan")
    await player.post("/simulator/ulang")
    page = player.page
    assert "berapa KK" not in page and "Ketua RT Latihan" in page
    kk = await _jumlah_kk(dashboard)
    assert [value for kode, value in kk.items() if kode not in REAL_KK] == [None]
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        training = await session.scalar(select(RT.id).where(RT.latihan.is_(True)))
        history = select(func.count()).select_from(JumlahKKHistory).where(JumlahKKHistory.rt_id == training)
        assert await session.scalar(history) == 0
    page = await player.type("/kk")
    assert "belum" in page


async def test_training_rts_are_nobodys_real_rts(dashboard: Dashboard) -> None:
    dewi = await dashboard.person("Dewi Lubis")
    ani = await dashboard.person("Ani Admin")
    for person in (dewi, ani):
        await Player(await dashboard.signed_in(person)).start()
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(RT).where(RT.latihan.is_(True))) == 2
        assert [rt.kode for rt in await rts_for(session, dewi)] == ["15.71.01.1001-001", "15.71.01.1001-002"]
        assert [rt.kode for rt in await rts_for(session, ani)] == sorted(REAL_KK)
        assert [rt.kode for rt in await all_rts(session)] == sorted(REAL_KK)
    overview = await (await dashboard.signed_in(ani)).get("/")
    assert "3 RT" in overview.text


async def test_a_photo_uploaded_in_the_browser_becomes_the_training_rts_report(dashboard: Dashboard) -> None:
    dashboard.app.clock = lambda: FEB_10  # Kelompok A's sosialisasi (January) is overdue: it can be reported
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await player.start()
    await player.type("/lapor")
    await player.press("Sosialisasi")
    page = await player.press("Kemarin")
    assert "kirim bukti Sosialisasi" in page
    name, content, mime_type = photo(1)
    page = await player.upload((name, content, mime_type))
    assert "Sudah diterima: 1 foto." in page and f"📎 {name}" in page
    await player.press("Selesai kirim")
    page = await player.press("Kirim")
    assert "Laporan Sosialisasi sudah terkirim" in page
    async with dashboard.app.db.unit_of_work() as session:
        [report] = [*await session.scalars(select(StageReport))]
        rt = await session.get(RT, report.rt_id)
        [media] = [*await session.scalars(select(Media))]
        # Nothing went to a real person: the training RT has no pendamping, its people only the simulator.
        channels = {*await session.scalars(select(OutboxMessage.channel))}
    assert rt.latihan and report.status == ReportStatus.MENUNGGU_TINJAUAN and media.report_id == report.id
    assert (dashboard.app.settings.media_dir / media.path).read_bytes() == content
    assert channels == {"simulator"}


async def test_a_file_that_is_no_photo_is_refused_by_its_bytes(dashboard: Dashboard) -> None:
    dashboard.app.clock = lambda: FEB_10
    player = Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))
    await player.start()
    await player.type("/lapor")
    await player.press("Sosialisasi")
    await player.press("Kemarin")
    await player.upload(("gambar.jpg", b"<svg onload=alert(1)>", "image/jpeg"))
    await player.press("Selesai kirim")
    before = player.page.count("gambar.jpg")
    page = await player.press("Kirim")
    assert page.count("gambar.jpg") > before  # the refusal names the file
    assert "<svg" not in page  # and the page shows nothing of it unescaped
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0
        assert await session.scalar(select(func.count()).select_from(StageReport)) == 0


async def test_people_starting_at_the_same_moment_each_get_a_training_rt(dashboard: Dashboard) -> None:
    players = [Player(await dashboard.signed_in(await dashboard.person("Dewi Lubis")))]
    for n in range(3):
        admin = await dashboard.add_person(f"Admin {n}", Role.ADMIN)
        players.append(Player(await dashboard.signed_in(admin)))
    for player in players:
        await player.open()
    starts = [
        player.browser.post("/simulator/mulai", data={"csrf": csrf_of(player.page), "peran": "ketua_rt"})
        for player in players
    ]
    assert [response.status_code for response in await asyncio.gather(*starts)] == [303] * 4
    async with dashboard.app.db.unit_of_work() as session:
        codes = [*await session.scalars(select(RT.kode).where(RT.latihan.is_(True)).order_by(RT.kode))]
    assert [kode[-3:] for kode in codes] == ["901", "902", "903", "904"]
