"""Shared set-up for the Ketua RT flow tests (/kk, /jadwal, /lapor, /undang_bendahara, KK approvals)."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from handlers.engine import Engine
from handlers.messages import Incoming, Kind, Reply
from services.models import RT, FundReceipt, JumlahKKHistory, Person, ReportStatus, Role, StageReport
from tests.handlers.chat import Chat
from tests.images import jpeg

RT_A = "15.71.01.1001-001"  # Kelompok A, 87 KK → Rp70.000.000, pendamping Dewi Lubis
RT_A_NO_KK = "15.71.01.1001-002"  # Kelompok A, KK not registered, pendamping Dewi Lubis
RT_B = "15.71.01.1002-003"  # Kelompok B, 120 KK, pendamping Rudi Saputra
# 10:00 WIB on 10 February 2026: Kelompok A's rembuk warga month, sosialisasi (January) overdue.
FEB_10 = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
APR_15 = datetime(2026, 4, 15, 3, 0, tzinfo=UTC)


def at(world, when: datetime) -> Engine:
    """A new engine on the same database whose clock stands still at `when`; later chats use it."""
    old = world.engine
    world.engine = Engine(old.db, old.program, old.pepper, old.media, old.flows, clock=lambda: when)
    return world.engine


async def ketua(world, rt_kode: str = RT_A) -> Chat:
    return await world.chat(Role.KETUA_RT, rt_kode)


async def pendamping(world, rt_kode: str = RT_A) -> Chat:
    """The roster's pendamping of this RT, with a chat, so notifications to them land in the outbox."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        person = await session.get(Person, rt.pendamping_id)
    return await world.chat(Role.PENDAMPING, person=person)


async def rt_row(world, rt_kode: str = RT_A) -> RT:
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(RT).where(RT.kode == rt_kode))


async def count(world, model, *where) -> int:
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def rows(world, model, *where) -> list:
    async with world.db.unit_of_work() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def kk_history(world, rt_kode: str) -> list[JumlahKKHistory]:
    """History rows written after the roster import (the import writes its own)."""
    rt = await rt_row(world, rt_kode)
    return await rows(world, JumlahKKHistory, JumlahKKHistory.rt_id == rt.id, JumlahKKHistory.source != "roster")


async def add_funds(world, rt_kode: str = RT_A) -> None:
    """The Pokja confirmed the money arrived (written directly: /dana is another flow's business)."""
    rt = await rt_row(world, rt_kode)
    async with world.db.unit_of_work() as session:
        session.add(
            FundReceipt(rt_id=rt.id, amount=70_000_000, received_on=date(2026, 4, 10), recorded_by_id=rt.pendamping_id)
        )


async def seed_reports(
    world, rt_kode: str, stages: list[str], status: str = ReportStatus.DISETUJUI, reason: str | None = None
) -> None:
    """Earlier stages already reported (and reviewed), as the pendamping's review would leave them."""
    await add_reports(world.db, rt_kode, stages, status, reason)


async def add_reports(
    db, rt_kode: str, stages: list[str], status: str = ReportStatus.DISETUJUI, reason: str | None = None
) -> None:
    """`seed_reports` for tests that hold a database rather than a world (the Telegram channel's)."""
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        for stage in stages:
            session.add(
                StageReport(
                    rt_id=rt.id,
                    stage_key=stage,
                    status=status,
                    happened_on=date(2026, 1, 20),
                    answers={},
                    submitted_by_id=rt.pendamping_id,
                    review_reason=reason,
                )
            )


async def send_sticker(chat: Chat) -> list[Reply]:
    return await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.UNSUPPORTED))


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def photo(n: int) -> tuple[str, bytes, str]:
    """A distinct small JPEG: the same content twice would be the same media."""
    return (f"foto{n}.jpg", jpeg(n), "image/jpeg")


PDF = ("rencana.pdf", b"%PDF-1.4\n" + b"rencana kerja" * 20, "application/pdf")
