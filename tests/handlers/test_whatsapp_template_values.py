"""A queued message's WhatsApp template values: reminders carry their purpose and facts, the rest is read when sent."""

from datetime import datetime

import pytest
from sqlalchemy import select

from handlers import reminders
from handlers.whatsapp_template_values import template_values
from services.db import Database
from services.models import OutboxMessage
from services.program import Program
from services.reminders import WIB
from services.whatsapp_templates import shipped_templates
from tests.people import Town, build_town


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
async def town(db: Database, program: Program) -> Town:
    return await build_town(db, program)


async def rows_by_person(db: Database) -> dict[int, OutboxMessage]:
    async with db.unit_of_work() as session:
        return {row.person_id: row for row in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


async def values(db: Database, row: OutboxMessage) -> tuple[str, ...] | None:
    template = shipped_templates().for_purpose(row.payload["purpose"])
    async with db.unit_of_work() as session:
        found = await template_values(session, template, row.person_id, row.payload)
    if found is not None:
        assert len(template.filled(found)) <= 1024
    return found


async def test_monthly_reminders_say_which_template_and_carry_its_facts(db, program, town: Town) -> None:
    await reminders.run_due(db, program, at("2026-04-01T08:01"))
    rows = await rows_by_person(db)
    ketua, bendahara, digest = rows[town.ketua_a.id], rows[town.bendahara_a.id], rows[town.dewi.id]
    assert ketua.payload["purpose"] == "pengingat_bulanan"
    assert bendahara.payload["purpose"] == "pengingat_bendahara"
    assert digest.payload["purpose"] == "pemberitahuan"
    name, month, rt, stages = await values(db, ketua)
    assert (name, month, rt) == ("Warga", "April 2026", "RT 001 Kel. Simpang IV Sipin")
    assert stages and "\n" not in stages
    place, text = await values(db, digest)
    assert place == "Pendamping" and text.startswith("Ringkasan") and "\n" not in text


async def test_the_nudge_names_the_late_stages_and_their_deadline(db, program, town: Town) -> None:
    await reminders.run_due(db, program, at("2026-04-20T08:00"))
    ketua = (await rows_by_person(db))[town.ketua_a.id]
    assert ketua.payload["purpose"] == "pengingat_susulan"
    stages, rt, deadline = await values(db, ketua)
    assert rt == "RT 001 Kel. Simpang IV Sipin" and deadline.endswith("2026") and stages


async def test_a_missing_fact_gives_no_values(db, program, town: Town) -> None:
    template = shipped_templates().for_purpose("pengingat_bulanan")
    async with db.unit_of_work() as session:
        assert await template_values(session, template, town.ketua_a.id, {"text": "x"}) is None
