"""Shared set-up for the pendamping and admin flow tests (/rt, /tinjau, /siaran)."""

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from handlers.messages import Incoming, Kind, Reply
from services.models import (
    RT,
    AuditLog,
    Broadcast,
    ChannelIdentity,
    Media,
    OutboxMessage,
    Person,
    ReportStatus,
    Role,
    StageReport,
)
from tests.handlers.chat import Chat

RT_1 = "15.71.01.1001-001"  # Kelompok A, pendamping Dewi Lubis
RT_2 = "15.71.01.1001-002"  # Kelompok A, pendamping Dewi Lubis
RT_3 = "15.71.01.1002-003"  # Kelompok B, pendamping Rudi Saputra
# 15 Maret 2026, 10:00 WIB: Kelompok A is late on January/February stages and due on the proposal;
# Kelompok B has not started.
NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
_sha = itertools.count(1)


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def fix_clock(world) -> None:
    world.engine.clock = lambda: NOW


async def pendamping(world, nama: str = "Dewi Lubis") -> Chat:
    """A chat for the roster's pendamping of that name."""
    async with world.db.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.nama == nama))
    chat = await world.chat(Role.PENDAMPING, person=person)
    fix_clock(world)
    return chat


async def registered(world, role: Role, rt_kode: str | None = None, nama: str | None = None) -> Chat:
    chat = await world.chat(role, rt_kode)
    if nama:
        async with world.db.unit_of_work() as session:
            (await person_of_session(session, chat)).nama = nama
    fix_clock(world)
    return chat


async def person_of_session(session, chat: Chat) -> Person:
    return await session.scalar(
        select(Person)
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(ChannelIdentity.channel == chat.channel, ChannelIdentity.external_id == chat.user_id)
    )


async def person_of(world, chat: Chat) -> Person:
    async with world.db.unit_of_work() as session:
        return await person_of_session(session, chat)


async def rt_id(world, kode: str) -> int:
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(RT.id).where(RT.kode == kode))


async def make_report(
    world,
    rt_kode: str,
    stage_key: str,
    submitted_by: Person,
    *,
    status: ReportStatus = ReportStatus.MENUNGGU_TINJAUAN,
    minutes_ago: int = 60,
    answers: dict | None = None,
    photos: int = 1,
    documents: int = 0,
    reuse_of: int | None = None,
) -> int:
    """A stage report as /lapor would leave it, with media rows (the files themselves are not needed here)."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        report = StageReport(
            rt_id=rt.id,
            stage_key=stage_key,
            status=status,
            happened_on=date(2026, 2, 20),
            answers=answers or {},
            submitted_by_id=submitted_by.id,
            submitted_at=NOW - timedelta(minutes=minutes_ago),
        )
        session.add(report)
        await session.flush()
        kinds = ["photo"] * photos + ["document"] * documents
        for index, kind in enumerate(kinds):
            sha = hashlib.sha256(str(next(_sha)).encode()).hexdigest()
            extension = ".jpg" if kind == "photo" else ".pdf"
            session.add(
                Media(
                    sha256=sha,
                    path=f"{sha[:2]}/{sha[2:4]}/{sha}{extension}",
                    size=1000,
                    mime_type="image/jpeg" if kind == "photo" else "application/pdf",
                    kind=kind,
                    uploaded_by_id=submitted_by.id,
                    rt_id=rt.id,
                    stage_key=stage_key,
                    report_id=report.id,
                    reuse_of_media_id=reuse_of if index == 0 else None,
                )
            )
        await session.flush()
        return report.id


async def report(world, report_id: int) -> StageReport:
    async with world.db.unit_of_work() as session:
        return await session.get(StageReport, report_id)


async def first_media_id(world, report_id: int) -> int:
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(func.min(Media.id)).where(Media.report_id == report_id))


async def count(world, model) -> int:
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def counts(world) -> dict[str, int]:
    return {m.__name__: await count(world, m) for m in (Broadcast, OutboxMessage, AuditLog, StageReport)}


async def press_notification(chat: Chat, choice_id: str) -> list[Reply]:
    """Press a button of a notification from the outbox: it belongs to no question, so it carries no token."""
    return await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.CHOICE, choice=choice_id))


async def send_sticker(chat: Chat) -> list[Reply]:
    return await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.UNSUPPORTED))
