"""What a training person does in the simulator tells no real person: handlers/context.py asks
services/training.may_reach before queueing a notification. On SQLite and PostgreSQL."""

from sqlalchemy import select

from services import training
from services.models import RT, FundReceipt, OutboxMessage, Person, ReportStatus, Role, StageReport
from tests.handlers.chat import Chat, outbox_for
from tests.handlers.flows.bendahara import NOW, PHOTO

NAMES = {"ketua_rt": "Ketua RT Latihan", "bendahara": "Bendahara Pokja Latihan"}


async def _training_treasurer(world) -> tuple[Chat, training.Training]:
    """Dewi's training RT with every stage before the funds approved, and its Bendahara in the simulator."""
    async with world.db.unit_of_work() as session:
        dewi = await session.scalar(select(Person).where(Person.nama == "Dewi Lubis"))
        started = await training.start_training(session, dewi, NAMES, actor="test", now=NOW)
        rt = await session.get(RT, started.rt.id)
        for stage in world.program.stages[: world.program.stage_order("pencairan_dana")]:
            session.add(
                StageReport(
                    rt_id=rt.id,
                    stage_key=stage.kode,
                    status=ReportStatus.DISETUJUI,
                    happened_on=stage.first_month(rt.kelompok),
                    answers={},
                    submitted_by_id=started.people["ketua_rt"].id,
                )
            )
    world.engine.clock = lambda: NOW
    chat = Chat(world.engine, training.user_id(dewi, "bendahara"), channel=training.CHANNEL)
    return chat, started


async def test_a_mismatched_training_dana_alerts_no_admin(world) -> None:
    admins = [await world.chat(Role.ADMIN), await world.chat(Role.ADMIN)]
    chat, started = await _training_treasurer(world)
    await chat.send("/dana")
    await chat.send("65 juta")  # the training RT has no KK yet: its allocation is unknown, a mismatch for admins
    await chat.send("17/8/2026")
    await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        receipt = await session.scalar(select(FundReceipt))
        queued = [(m.channel, m.person_id) for m in await session.scalars(select(OutboxMessage))]
    assert receipt.rt_id == started.rt.id and receipt.amount == 65_000_000
    for admin in admins:
        assert await outbox_for(world.engine, admin.user_id) == []
    # Only the training Ketua RT hears of it (in the simulator): their own RT's business.
    assert queued == [(training.CHANNEL, started.people["ketua_rt"].id)]
