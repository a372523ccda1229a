"""Printable invitations on the dashboard, over real HTTP on SQLite and PostgreSQL: fresh codes for the Ketua RT of
one kelurahan's RTs (stored hashed, redeemable), their one-tap links as QR codes that read back, RTs with a Ketua
RT skipped, and a pendamping limited to the kelurahan of their own RTs."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from services import invitations
from services.models import RT, Invitation, Role
from services.program import Program
from tests.bot.dashboard.running import Dashboard, csrf_of, running

BOT = "KampungBahagiaBot"
NUMBER = "+62 812-3456-7890"
CODE = re.compile(r'<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>')
SVG = re.compile(
    r'<svg width="(\d+)" height="(\d+)" class="qr"><title>(\w+)</title>'
    r'<path transform="scale\((\d+)\)"[^>]* d="([^"]+)"'
)


@pytest.fixture
async def dashboard(database_url: str, tmp_path: Path, program: Program, pepper: bytes) -> AsyncIterator[Dashboard]:
    async with running(
        database_url, tmp_path, program, pepper, telegram_bot_username=BOT, whatsapp_display_number=NUMBER
    ) as served:
        yield served


def read_qr(width: int, height: int, scale: int, path: str) -> str:
    """What a phone's camera reads from the page's inline SVG: the path drawn as modules, then decoded by zxing."""
    modules = Image.new("L", (width // scale, height // scale), 255)
    x = y = 0.0
    for command, first, second in re.findall(r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:  # h: a dark run of this many modules on the row the stroke's centre line is in
            for column in range(int(x), int(x + float(first))):
                modules.putpixel((column, int(y)), 0)
            x += float(first)
    found = zxingcpp.read_barcodes(modules.resize((modules.width * 8, modules.height * 8), Image.NEAREST))
    assert len(found) == 1, "the QR code does not read"
    return found[0].text


async def _print(dashboard: Dashboard, nama: str, kelurahan: str):
    browser = await dashboard.signed_in(await dashboard.person(nama))
    choices = await browser.get("/undangan")
    assert choices.status_code == 200
    return await browser.post("/undangan", data={"csrf": csrf_of(choices.text), "kelurahan": kelurahan})


async def test_a_page_per_rt_with_a_code_that_redeems_and_qr_codes_of_both_links(dashboard: Dashboard) -> None:
    response = await _print(dashboard, "Ani Admin", "15.71.01.1001")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    page = response.text
    assert "Cetak sekarang: kode tidak dapat ditampilkan lagi." in page
    assert "Ketua RT 001 Kel. Simpang IV Sipin" in page and "Ketua RT 002 Kel. Simpang IV Sipin" in page
    assert page.count('class="invitation page-break"') == 2
    codes = CODE.findall(page)
    assert len(codes) == 2
    for code in codes:
        assert f"DAFTAR {code}" in page  # to type, without the QR code
        telegram = f"https://t.me/{BOT}?start={invitations.normalize_code(code)}"
        whatsapp = f"https://wa.me/6281234567890?text=DAFTAR%20{invitations.normalize_code(code)}"
        assert telegram in page and whatsapp in page
    read = {(title, read_qr(int(w), int(h), int(scale), path)) for w, h, title, scale, path in SVG.findall(page)}
    assert read == {
        (
            channel,
            f"https://t.me/{BOT}?start={c}"
            if channel == "Telegram"
            else f"https://wa.me/6281234567890?text=DAFTAR%20{c}",
        )
        for c in map(invitations.normalize_code, codes)
        for channel in ("Telegram", "WhatsApp")
    }
    async with dashboard.app.db.unit_of_work() as session:
        stored = list(await session.scalars(select(Invitation)))
        assert {i.code_hash for i in stored} == {invitations.hash_code(c, dashboard.app.pepper) for c in codes}
        assert not any(invitations.normalize_code(c) in repr(vars(i)) for i in stored for c in codes)
        person = await invitations.redeem_invitation(
            session, dashboard.app.pepper, codes[0], channel="telegram", external_id="7001"
        )
        rt = await session.get(RT, person.rt_id)
    assert person.role == Role.KETUA_RT and rt.kode == "15.71.01.1001-001"


async def test_an_rt_with_an_active_ketua_rt_is_skipped(dashboard: Dashboard) -> None:
    await dashboard.add_person("Pak Ketua", Role.KETUA_RT, "15.71.01.1001-001")
    response = await _print(dashboard, "Dewi Lubis", "15.71.01.1001")
    assert response.status_code == 200
    page = response.text
    assert len(CODE.findall(page)) == 1 and "Ketua RT 002 Kel. Simpang IV Sipin" in page
    assert "Dilewati karena sudah punya Ketua RT:" in page
    assert re.search(r'<ul class="skipped"><li>RT 001 Kel. Simpang IV Sipin</li></ul>', page)
    async with dashboard.app.db.unit_of_work() as session:
        rt_ids = list(await session.scalars(select(Invitation.rt_id)))
        rt = await session.get(RT, rt_ids[0])
    assert len(rt_ids) == 1 and rt.kode == "15.71.01.1001-002"


async def test_a_pendamping_prints_only_for_the_kelurahan_of_their_rts(dashboard: Dashboard) -> None:
    rudi = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))
    choices = await rudi.get("/undangan")
    assert 'value="15.71.01.1002"' in choices.text and 'value="15.71.01.1001"' not in choices.text
    refused = await rudi.post("/undangan", data={"csrf": csrf_of(choices.text), "kelurahan": "15.71.01.1001"})
    assert refused.status_code == 403 and CODE.search(refused.text) is None
    unknown = await rudi.post("/undangan", data={"csrf": csrf_of(choices.text), "kelurahan": "15.71.99.9999"})
    assert unknown.status_code == 404
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
    own = await rudi.post("/undangan", data={"csrf": csrf_of(choices.text), "kelurahan": "15.71.01.1002"})
    assert own.status_code == 200 and len(CODE.findall(own.text)) == 1


async def test_without_the_csrf_token_no_code_is_made(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    response = await browser.post("/undangan", data={"kelurahan": "15.71.01.1001"})
    assert response.status_code == 403 and CODE.search(response.text) is None
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
