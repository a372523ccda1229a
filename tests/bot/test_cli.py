"""The admin CLI end to end: real commands, real database (SQLite and PostgreSQL)."""

import json
import re
import subprocess
import sys
from datetime import timedelta

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli.app import app

HEADER = "kode_kelurahan,rt,kelompok,jumlah_kk,pilot_2025,pendamping"


@pytest.fixture
def cli(database_url, tmp_path):
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data"), "MEDIA_DIR": str(tmp_path / "media")}

    def invoke(*args: str):
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return invoke


def write_roster(tmp_path, *lines: str):
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return str(path)


def test_roster_import_then_rt_show_json(cli, tmp_path):
    result = cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    assert result.exit_code == 0, result.output
    assert "1 RT: 1 baru" in result.output
    shown = cli("rt", "show", "15.71.01.1001-003", "--json")
    data = json.loads(shown.output)
    assert data["kelompok"] == "A"
    assert data["jumlah_kk"] == 87
    assert data["tier"] == "sedang"
    assert data["alokasi"] == 70_000_000
    assert data["pendamping"] == "Dewi Lubis"
    assert data["kelurahan"] == "Simpang IV Sipin"


def test_bad_roster_lists_rows_in_indonesian_and_imports_nothing(cli, tmp_path):
    bad = write_roster(tmp_path, "15.71.01.1001,0,C,seratus,ya,Dewi")
    result = cli("roster", "import", bad)
    assert result.exit_code == 1
    assert "baris 2: rt '0'" in result.output
    assert "kelompok 'C' harus A atau B" in result.output
    assert cli("rt", "show", "15.71.01.1001-000").exit_code == 1


def test_invitations_create_list_revoke(cli, tmp_path):
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    created = cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json")
    assert created.exit_code == 0, created.output
    data = json.loads(created.output)
    assert set(data) >= {"code", "role", "rt", "expires_at"}
    assert (data["role"], data["rt"], len(data["code"])) == ("ketua_rt", "15.71.01.1001-003", 8)
    listed = cli("invite", "list")
    assert f"…{data['code'][-2:]}" in listed.output and data["code"] not in listed.output
    assert cli("invite", "revoke", str(data["id"])).exit_code == 0
    again = cli("invite", "revoke", str(data["id"]))
    assert again.exit_code == 1 and "tidak bisa dibatalkan: statusnya dibatalkan" in again.output


def test_invitations_are_shown_in_indonesian(cli, tmp_path):
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    created = cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--days", "30")
    assert created.exit_code == 0, created.output
    # The role as people say it, the date written out ("31 Desember 2026"), never "ketua_rt" or "2026-12-31".
    assert "Undangan untuk Ketua RT, RT 15.71.01.1001-003" in created.output
    assert "ketua_rt" not in created.output
    assert re.search(
        r"\(berlaku sampai\s+\d{1,2}\s+(Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|"
        r"Oktober|November|Desember)\s+20\d\d\)",
        created.output,
    ), created.output
    cli("invite", "create", "--role", "pendamping", "--person", "Dewi Lubis")
    listed = cli("invite", "list").output
    assert "Ketua RT" in listed and "Pendamping" in listed and "belum dipakai" in listed
    assert "active" not in listed and "ketua_rt" not in listed


def test_an_invitation_comes_with_its_one_tap_link(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data"), "TELEGRAM_BOT_USERNAME": "@kb_jambi_bot"}
    runner = CliRunner()
    roster = write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis", "15.71.01.1001,4,A,60,tidak,Dewi Lubis")
    runner.invoke(app, ["roster", "import", roster], env=env, catch_exceptions=False)
    created = runner.invoke(
        app, ["invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json"], env=env
    )
    assert created.exit_code == 0, created.output
    data = json.loads(created.output)
    assert data["link"] == f"https://t.me/kb_jambi_bot?start={data['code']}"
    shown = runner.invoke(app, ["invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-004"], env=env)
    assert "https://t.me/kb_jambi_bot?start=" in shown.output and "sekali ketuk" in shown.output
    out = tmp_path / "undangan.xlsx"
    runner.invoke(app, ["invite", "create", "--role", "bendahara", "--all-rts", "--out", str(out)], env=env)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][7] == "tautan_telegram" and rows[1][7].startswith("https://t.me/kb_jambi_bot?start=")


def test_invitations_for_all_rts_as_xlsx(cli, tmp_path):
    cli("roster", "demo", "--rts", "25")
    out = tmp_path / "undangan.xlsx"
    result = cli("invite", "create", "--role", "ketua_rt", "--all-rts", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "kode_rt" and len(rows) == 26
    assert len({row[5] for row in rows[1:]}) == 25


def test_budget_totals(cli):
    cli("roster", "demo", "--rts", "40")
    result = cli("budget")
    assert result.exit_code == 0
    assert "Menurut tingkat anggaran" in result.output and "Rp" in result.output


def test_demo_is_idempotent(cli):
    assert "40 RT: 40 baru" in cli("roster", "demo", "--rts", "40").output
    assert "40 RT: 0 baru, 0 diperbarui, 40 tidak berubah" in cli("roster", "demo", "--rts", "40").output


def test_entry_point_is_installed():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "roster" in result.stdout


def _seat_holder(database_url: str, rt_kode: str, role: str, nama: str) -> None:
    """A registered holder of the seat, as redeeming a code leaves it."""
    import asyncio

    from sqlalchemy import select

    from services.db import Database
    from services.models import RT, Person

    async def add():
        db = Database(database_url)
        async with db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
            session.add(Person(nama=nama, role=role, rt_id=rt.id))
        await db.dispose()

    asyncio.run(add())


def test_no_code_is_made_for_a_seat_someone_holds(cli, tmp_path, database_url):
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi", "15.71.01.1001,4,A,60,tidak,Dewi"))
    _seat_holder(database_url, "15.71.01.1001-003", "ketua_rt", "Budi Santoso")
    refused = cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json")
    assert refused.exit_code == 1
    assert "RT 15.71.01.1001-003 sudah punya Ketua RT yang aktif: Budi Santoso" in refused.output
    assert "tidak bisa dipakai" in refused.output
    # The other seat of that RT, and the same seat of another RT, are free.
    assert cli("invite", "create", "--role", "bendahara", "--rt", "15.71.01.1001-003").exit_code == 0
    assert cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-004").exit_code == 0
    out = tmp_path / "undangan.xlsx"
    result = cli("invite", "create", "--role", "ketua_rt", "--all-rts", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 RT dilewati: sudah punya Ketua RT yang aktif." in result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["15.71.01.1001-004"]


def test_run_says_whether_whatsapp_is_on():
    from bot.cli.run import _describe_configuration
    from bot.settings import Settings
    from handlers.i18n import use_locale

    with use_locale("id"):
        off = _describe_configuration(Settings(_env_file=None))
        on = _describe_configuration(
            Settings(_env_file=None, whatsapp_access_token="EAAG-token-value", whatsapp_phone_number_id="1098765")
        )
    assert any("WHATSAPP_ACCESS_TOKEN" in line and "WHATSAPP_PHONE_NUMBER_ID" in line for line in off)
    (line,) = [line for line in on if line.startswith("WhatsApp")]
    assert "1098765" in line and "aktif" in line and "EAAG" not in line
    assert "250 orang sehari" in line and "belum" not in line


def test_an_invitation_comes_with_its_whatsapp_link_when_the_number_is_set(database_url, tmp_path):
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WHATSAPP_DISPLAY_NUMBER": "+62 811-7400-123",
    }
    runner = CliRunner()
    roster = write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis", "15.71.01.1001,4,A,60,tidak,Dewi Lubis")
    runner.invoke(app, ["roster", "import", roster], env=env, catch_exceptions=False)
    created = runner.invoke(
        app, ["invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json"], env=env
    )
    data = json.loads(created.output)
    assert data["whatsapp_link"] == f"https://wa.me/628117400123?text=DAFTAR%20{data['code']}"
    assert data["link"] is None  # no Telegram configured: the WhatsApp link stands alone
    shown = runner.invoke(app, ["invite", "create", "--role", "bendahara", "--rt", "15.71.01.1001-004"], env=env)
    assert "https://wa.me/628117400123?text=DAFTAR%20" in shown.output and "WhatsApp" in shown.output
    out = tmp_path / "undangan.xlsx"
    runner.invoke(app, ["invite", "create", "--role", "ketua_rt", "--all-rts", "--out", str(out)], env=env)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][7:] == ("tautan_telegram", "tautan_whatsapp")
    assert [row[8] for row in rows[1:]] == [
        f"https://wa.me/628117400123?text=DAFTAR%20{row[5].replace('-', '')}" for row in rows[1:]
    ]


def test_without_a_display_number_the_whatsapp_column_stays_empty(cli, tmp_path):
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    data = json.loads(cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json").output)
    assert data["whatsapp_link"] is None
    out = tmp_path / "undangan.xlsx"
    cli("invite", "create", "--role", "bendahara", "--all-rts", "--out", str(out))
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][8] == "tautan_whatsapp" and rows[1][8] is None


def test_whatsapp_templates_prints_each_text_exactly_ready_for_meta(cli, tmp_path):
    from services.whatsapp_templates import shipped_templates

    shown = cli("whatsapp", "templates")
    assert shown.exit_code == 0, shown.output
    for template in shipped_templates().templates:
        assert template.body in shown.output and f"Templat {template.name}" in shown.output
    assert "{{3}} nama RT, misalnya: RT 001 Kel. Simpang IV Sipin" in shown.output
    assert "Lapor sekarang → membuka /lapor" in shown.output
    data = json.loads(cli("whatsapp", "templates", "--json").output)
    assert [d["purpose"] for d in data][:2] == ["pengingat_bulanan", "pengingat_bendahara"]
    assert data[0]["meta"]["components"][1]["buttons"][0] == {"type": "QUICK_REPLY", "text": "Lapor sekarang"}
    assert data[0]["buttons"][0]["payload"] == "cmd:lapor"


def test_whatsapp_templates_refuses_a_broken_file_listing_every_problem(cli, tmp_path):
    from services.whatsapp_templates import DEFAULT_TEMPLATES_FILE

    text = DEFAULT_TEMPLATES_FILE.read_text(encoding="utf-8")
    text = text.replace('purpose = "pemberitahuan"', 'purpose = "iklan"').replace("{{4}}.", "{{5}}.", 1)
    text = text.replace('title = "Lihat jadwal"', 'title = "Lihat jadwal lengkap RT ini"')
    broken = tmp_path / "templat.toml"
    broken.write_text(text + 'body_extra = """' + "x" * 10 + '"""\n', encoding="utf-8")
    result = cli("whatsapp", "templates", "--file", str(broken))
    assert result.exit_code == 1
    for fragment in ("template[1].body", "template[1].button[2].title", "template[4].purpose", "pemberitahuan"):
        assert fragment in result.output, result.output


def test_whatsapp_usage_prints_counts_per_month_and_template(cli, database_url):
    import asyncio
    from datetime import UTC, datetime

    from services import whatsapp_usage
    from services.db import Database

    assert "Belum ada templat WhatsApp" in cli("whatsapp", "usage").output

    async def count():
        db = Database(database_url)
        async with db.unit_of_work() as session:
            await whatsapp_usage.increment(session, "kb_pengingat_bulanan", datetime(2026, 5, 1, 3, tzinfo=UTC), by=250)
            await whatsapp_usage.increment(session, "kb_pemberitahuan", datetime(2026, 6, 2, 3, tzinfo=UTC))
        await db.dispose()

    asyncio.run(count())
    shown = cli("whatsapp", "usage")
    assert shown.exit_code == 0 and "kb_pengingat_bulanan" in shown.output and "250" in shown.output
    assert json.loads(cli("whatsapp", "usage", "--json").output) == [
        {"month": "2026-05", "template": "kb_pengingat_bulanan", "count": 250},
        {"month": "2026-06", "template": "kb_pemberitahuan", "count": 1},
    ]


async def _town_partly_on_whatsapp(database_url: str) -> None:
    """tests.people's town on 1 April 2026, the bendahara, Dewi and a new Ketua RT on WhatsApp only."""
    from sqlalchemy import update

    from services.db import Database
    from services.models import ChannelIdentity
    from services.program import load_program
    from tests.people import add_person, build_town

    db = Database(database_url)
    try:
        town = await build_town(db, load_program())
        async with db.unit_of_work() as session:
            for person, number in ((town.bendahara_a, "6281002"), (town.dewi, "6281009")):
                await session.execute(
                    update(ChannelIdentity)
                    .where(ChannelIdentity.person_id == person.id)
                    .values(channel="whatsapp", external_id=number)
                )
        await add_person(db, "ketua_rt", rt=town.rt_late, chat=6281003, channel="whatsapp")
    finally:
        await db.dispose()


def test_remind_dry_run_shows_the_plan_day_by_day_per_channel(database_url, tmp_path):
    import asyncio

    asyncio.run(_town_partly_on_whatsapp(database_url))
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "WHATSAPP_DAILY_LIMIT": "1",
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, ["remind", "--date", "2026-04-01", "--dry-run"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Rencana pengiriman (templat WhatsApp: paling banyak 1 orang per hari)" in out
    header = next(line for line in out.splitlines() if "WhatsApp aktif 24 jam" in line)
    assert [c.strip() for c in header.strip("┃│ ").split("┃")] == [
        "Hari",
        "Telegram",
        "WhatsApp aktif 24 jam",
        "WhatsApp lewat templat",
        "Total",
    ]
    days = [
        [c.strip() for c in line.strip("│ ").split("│")] for line in out.splitlines() if line.startswith("│ Hari ke-")
    ]
    assert [row[1:] for row in days] == [["1", "0", "1", "2"], ["0", "0", "1", "1"], ["0", "0", "1", "1"]]
    assert [row[0].split(" (")[0] for row in days] == ["Hari ke-1", "Hari ke-2", "Hari ke-3"]
    assert "Terlambat: 2 dari 3 orang dengan tahap terlambat dihubungi pada hari ke-1." in out
    assert "2 pesan WhatsApp menunggu hari berikutnya" in out


def test_broadcast_tells_now_and_later_before_asking_and_queues_the_later_ones_on_their_day(database_url, tmp_path):
    import asyncio

    from sqlalchemy import select

    from services.db import Database
    from services.models import OutboxMessage

    asyncio.run(_town_partly_on_whatsapp(database_url))
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WHATSAPP_DAILY_LIMIT": "1",
        "COLUMNS": "250",
    }
    # RT 001's Ketua RT on Telegram, RT 003's on WhatsApp, silent.
    args = ["broadcast", "--text", "Rapat Sabtu", "--no-wait", "--rt", "15.71.01.1001-001", "--rt", "15.71.01.1001-003"]
    asked = CliRunner().invoke(app, args, env=env, input="n\n")
    assert "Dibatalkan. Tidak ada pesan yang dikirim." in asked.output
    assert asked.output.startswith(
        "Siaran ini untuk 2 orang: 1 terkirim sekarang (Telegram dan WhatsApp yang aktif 24 jam terakhir), "
        "1 lewat templat WhatsApp hari ini (batas 1 per hari).\n"
    )
    assert "Kirim? [y/N]" in asked.output

    async def rows() -> list[OutboxMessage]:
        db = Database(database_url)
        try:
            async with db.unit_of_work() as session:
                return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        finally:
            await db.dispose()

    assert asyncio.run(rows()) == []
    # Twice: the second broadcast finds today's slot taken by the first, so its template waits a day.
    for _ in range(2):
        sent = CliRunner().invoke(app, [*args, "--yes"], env=env)
        assert sent.exit_code == 0, sent.output
    assert "1 lewat templat WhatsApp selama 2 hari berikutnya (batas 1 per hari)." in sent.output
    assert "1 pesan WhatsApp menunggu hari berikutnya" in sent.output
    whatsapp = [r for r in asyncio.run(rows()) if r.channel == "whatsapp"]
    assert len(whatsapp) == 2 and whatsapp[1].next_attempt_at - whatsapp[0].next_attempt_at > timedelta(hours=24)


def test_a_second_code_binds_whatsapp_to_the_person_already_on_telegram(cli, tmp_path, database_url):
    import asyncio

    from sqlalchemy import select

    from bot.settings import Settings
    from services import invitations
    from services.db import Database
    from services.models import ChannelIdentity
    from services.problems import ProblemError

    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    first = json.loads(cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003", "--json").output)
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data")
    pepper = settings.invitation_pepper()

    async def redeem(code: str, channel: str, external_id: str):
        db = Database(database_url)
        try:
            async with db.unit_of_work() as session:
                person = await invitations.redeem_invitation(
                    session, pepper, code, channel=channel, external_id=external_id
                )
                return person.id
        finally:
            await db.dispose()

    person_id = asyncio.run(redeem(first["code"], "telegram", "5550001"))
    # The seat is held now: a plain code for it is refused, a code for the same person is not.
    refused = cli("invite", "create", "--role", "ketua_rt", "--rt", "15.71.01.1001-003")
    assert refused.exit_code != 0
    second = cli("invite", "create", "--for-person", str(person_id), "--json")
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert (data["role"], data["rt"]) == ("ketua_rt", "15.71.01.1001-003")
    assert asyncio.run(redeem(data["code"], "whatsapp", "6281234567890")) == person_id

    async def identities():
        db = Database(database_url)
        try:
            async with db.sessions() as session:
                rows = await session.scalars(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
                return sorted(identity.channel for identity in rows)
        finally:
            await db.dispose()

    assert asyncio.run(identities()) == ["telegram", "whatsapp"]
    with pytest.raises(ProblemError):  # single use, like every code
        asyncio.run(redeem(data["code"], "whatsapp", "6289999999999"))
    nobody = cli("invite", "create", "--for-person", "Tidak Ada Orang Ini")
    assert nobody.exit_code != 0 and "Tidak Ada Orang Ini" in nobody.output
