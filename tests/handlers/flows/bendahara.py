"""Shared set-up for the Bendahara Pokja flow tests (/dana, /belanja, /saldo)."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from handlers.messages import Incoming, Kind, Reply
from services.models import RT, FundReceipt, Media, OutboxMessage, Person, ReportStatus, Role, Spending, StageReport
from tests.handlers.chat import Chat
from tests.images import jpeg

RT_87_KK = "15.71.01.1001-001"  # 87 KK → Rp70.000.000, pendamping Dewi Lubis
RT_NO_KK = "15.71.01.1001-002"  # KK count not registered
RT_120_KK = "15.71.01.1002-003"  # 120 KK → Rp100.000.000, pendamping Rudi Saputra
# A fixed clock (10:00 WIB): "today" never moves under the test, and 17 Agustus 2026 is always in the past.
NOW = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)
TODAY = date(2026, 10, 15)
PHOTO = jpeg(1000)
PDF = b"%PDF-1.4\n" + b"statement" * 10
MONEY_TABLES = (FundReceipt, Spending, StageReport, Media, OutboxMessage)


async def bendahara(world, rt_kode: str = RT_87_KK, *, ready: bool = True) -> Chat:
    """A registered treasurer; `ready`: every stage before the funds is approved, so /dana is open."""
    chat = await world.chat(Role.BENDAHARA, rt_kode)
    world.engine.clock = lambda: NOW
    if ready:
        await ready_for_funds(world.db, world.program, rt_kode)
    return chat


async def ready_for_funds(db, program, rt_kode: str) -> None:
    """Approved reports for every stage before `pencairan_dana`, as if the Ketua RT had reported them all."""
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        reporter = Person(nama="Ketua contoh", role=Role.KETUA_RT, rt_id=rt.id)
        session.add(reporter)
        await session.flush()
        for stage in program.stages[: program.stage_order("pencairan_dana")]:
            session.add(
                StageReport(
                    rt_id=rt.id,
                    stage_key=stage.kode,
                    status=ReportStatus.DISETUJUI,
                    happened_on=stage.first_month(rt.kelompok),
                    answers={},
                    submitted_by_id=reporter.id,
                )
            )


async def belanja_until_the_receipt(
    chat: Chat, amount: str = "1,5 juta", what: str = "20 sak semen", bidang: str = "Penataan", day: str = "Kemarin"
) -> None:
    """/belanja answered up to the question that wants the receipt."""
    await chat.send("/belanja")
    await chat.send(amount)
    await chat.send(what)
    await chat.press_label(bidang)
    await chat.press_label(day)


async def pendamping_of(world, rt_kode: str) -> Chat:
    """Give the roster's pendamping of this RT a chat, so notifications to them land in the outbox."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        person = await session.get(Person, rt.pendamping_id)
    return await world.chat(Role.PENDAMPING, person=person)


async def count(world, model) -> int:
    query = select(func.count()).select_from(model)
    if model is StageReport:  # only what the treasurer's flows write, not the stages prepared by ready_for_funds
        query = query.where(StageReport.stage_key == "pencairan_dana")
    async with world.db.unit_of_work() as session:
        return await session.scalar(query)


async def counts(world) -> dict[str, int]:
    return {model.__name__: await count(world, model) for model in MONEY_TABLES}


async def send_sticker(chat: Chat) -> list[Reply]:
    return await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.UNSUPPORTED))


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)
