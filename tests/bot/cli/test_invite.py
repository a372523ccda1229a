"""`invite create --ganti`: a code for a held seat says who holds it and since when, and hands the seat over."""

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.settings import Settings
from services import invitations
from services.db import Database
from services.models import RT, AuditLog, Person
from tests.bot.test_cli import cli, write_roster  # noqa: F401 (the fixture)

RT3 = "15.71.01.1001-003"


def _holder(database_url: str) -> int:
    """Budi Santoso holds the Ketua RT seat of RT 3 since 3 Februari 2026."""

    async def add() -> int:
        db = Database(database_url)
        try:
            async with db.unit_of_work() as session:
                rt = await session.scalar(select(RT).where(RT.kode == RT3))
                person = Person(
                    nama="Budi Santoso", role="ketua_rt", rt_id=rt.id, created_at=datetime(2026, 2, 3, 3, tzinfo=UTC)
                )
                session.add(person)
                await session.flush()
                return person.id
        finally:
            await db.dispose()

    return asyncio.run(add())


def test_a_held_seat_is_named_with_its_holder_and_ganti_invites_a_replacement(cli, tmp_path, database_url):  # noqa: F811
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    budi = _holder(database_url)
    refused = cli("invite", "create", "--role", "ketua_rt", "--rt", RT3)
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())  # the console wraps long lines
    assert f"Budi Santoso (orang {budi}), sejak 3 Februari 2026" in said and "tambahkan --ganti" in said

    created = cli("invite", "create", "--role", "ketua_rt", "--rt", RT3, "--ganti")
    assert created.exit_code == 0, created.output
    said = " ".join(created.output.split())
    assert f"Saat kode ini dipakai, Budi Santoso (orang {budi}) melepas kursinya dan diberi tahu." in said
    data = json.loads(cli("invite", "create", "--role", "ketua_rt", "--rt", RT3, "--ganti", "--json").output)
    assert data["replaces"] == {"id": budi, "nama": "Budi Santoso"}

    pepper = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data").invitation_pepper()

    async def redeem() -> tuple[bool, int | None]:
        db = Database(database_url)
        try:
            async with db.unit_of_work() as session:
                redeemed = await invitations.redeem(session, pepper, data["code"], channel="test", external_id="9")
                replaced = redeemed.replaced.id
            async with db.unit_of_work() as session:
                audit = await session.scalar(select(AuditLog).where(AuditLog.action == "seat.handover"))
                return (await session.get(Person, budi)).active, replaced if audit.entity_id == str(budi) else None
        finally:
            await db.dispose()

    assert asyncio.run(redeem()) == (False, budi)


def test_ganti_is_for_one_seat(cli, tmp_path):  # noqa: F811
    cli("roster", "import", write_roster(tmp_path, "15.71.01.1001,3,A,87,ya,Dewi Lubis"))
    out = str(tmp_path / "u.xlsx")
    refused = cli("invite", "create", "--role", "ketua_rt", "--all-rts", "--out", out, "--ganti")
    assert refused.exit_code != 0 and "--ganti" in refused.output
    assert cli("invite", "create", "--role", "admin", "--ganti").exit_code != 0
    # A free seat: --ganti changes nothing, the code is a plain one.
    free = json.loads(cli("invite", "create", "--role", "bendahara", "--rt", RT3, "--ganti", "--json").output)
    assert free["replaces"] is None
