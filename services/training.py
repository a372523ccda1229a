"""Training RTs for the dashboard's simulator: a pendamping or admin plays a Ketua RT or Bendahara of an RT that
does not exist, through the same conversation core as Telegram and WhatsApp, without touching a real RT.

One training RT per viewer (RT 901, 902, … of the kelurahan of the viewer's first assigned RT; the first kelurahan
for an admin), `latihan` set, so services/assignments.py and the reminders never count, list or chase it. It has
no pendamping: a report sent while training must never land in a real reviewer's queue or chat. Its test persons
(one per role in ROLES) are reached only through a `simulator` identity whose id carries the viewer's person id,
so two people training at once never share a conversation, an RT or a report.

Nothing here is in the viewer's language: the names of the test persons are given by the caller (handlers).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services import audit
from services.assignments import real_rt
from services.models import (
    RT,
    AlbumItem,
    ChannelIdentity,
    CodeAttempt,
    ConversationState,
    FundReceipt,
    InboundUpdate,
    Invitation,
    JumlahKKHistory,
    Kelurahan,
    KKChangeRequest,
    Media,
    OutboxMessage,
    Person,
    Pesan,
    ReminderClaim,
    ReportDraft,
    Role,
    Spending,
    StageReport,
)

CHANNEL = "simulator"
ROLES = (Role.KETUA_RT, Role.BENDAHARA)
FIRST_NOMOR = 901  # real RTs of Jambi stop far below; 901+ reads as "not a real RT" on every list that leaks it


def user_id(viewer: Person, role: str) -> str:
    """The simulator identity of `viewer` playing `role`: theirs alone (ChannelIdentity is unique on it)."""
    return f"{viewer.id}:{role}"


async def may_reach(session: AsyncSession, sender: Person | None, recipient: Person) -> bool:
    """Whether what `sender` does may be told to `recipient`: a training person's doings stay in their training RT
    (a mismatched /dana alerts every admin, a report its pendamping: never a real one for a training RT)."""
    if sender is None or sender.rt_id is None or recipient.rt_id == sender.rt_id:
        return True
    rt = await session.get(RT, sender.rt_id)
    return rt is None or not rt.latihan


@dataclass(frozen=True)
class Training:
    rt: RT
    people: dict[str, Person]  # by role


async def training_of(session: AsyncSession, viewer: Person) -> Training | None:
    """The viewer's training RT and its test persons, or None before the first training."""
    wanted = [user_id(viewer, role) for role in ROLES]
    rows = (
        await session.execute(
            select(ChannelIdentity.external_id, Person)
            .join(Person, Person.id == ChannelIdentity.person_id)
            .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id.in_(wanted))
        )
    ).all()
    people = {person.role: person for _external_id, person in rows}
    if not people:
        return None
    rt_id = next(iter(people.values())).rt_id
    rt = await session.scalar(select(RT).where(RT.id == rt_id).options(selectinload(RT.kelurahan)))
    return Training(rt, people)


async def start_training(
    session: AsyncSession, viewer: Person, names: dict[str, str], *, actor: str, now: datetime
) -> Training:
    """The viewer's training RT, created with its test persons (named by role in `names`) the first time."""
    found = await training_of(session, viewer)
    if found is not None:
        return found
    home = await _home(session, viewer)
    taken = await session.scalar(
        select(func.max(RT.nomor)).where(RT.kelurahan_kode == home.kelurahan_kode, RT.nomor >= FIRST_NOMOR)
    )
    nomor = (taken or FIRST_NOMOR - 1) + 1
    rt = RT(
        kode=f"{home.kelurahan_kode}-{nomor:03d}",
        kelurahan_kode=home.kelurahan_kode,
        nomor=nomor,
        kelompok=home.kelompok,
        latihan=True,
        pendamping_id=None,
        registered_at=now,
    )
    session.add(rt)
    await session.flush()
    people = {}
    for role in ROLES:
        person = Person(nama=names[role], role=role, rt_id=rt.id)
        session.add(person)
        await session.flush()
        session.add(ChannelIdentity(person_id=person.id, channel=CHANNEL, external_id=user_id(viewer, role)))
        people[role] = person
    audit.record(session, actor=actor, action="latihan.mulai", entity="rt", entity_id=rt.id, kode=rt.kode)
    await session.flush()
    rt = await session.scalar(select(RT).where(RT.id == rt.id).options(selectinload(RT.kelurahan)))
    return Training(rt, people)


@dataclass(frozen=True)
class _Home:
    kelurahan_kode: str
    kelompok: str


async def _home(session: AsyncSession, viewer: Person) -> _Home:
    # The kelurahan and Kelompok the viewer works in, so the training looks like their RTs (same stage dates).
    own = await session.scalar(select(RT).where(RT.pendamping_id == viewer.id, real_rt()).order_by(RT.kode).limit(1))
    if own is not None:
        return _Home(own.kelurahan_kode, own.kelompok)
    first = await session.scalar(select(RT).where(real_rt()).order_by(RT.kode).limit(1))
    if first is not None:
        return _Home(first.kelurahan_kode, first.kelompok)
    kelurahan = await session.scalar(select(Kelurahan.kode).order_by(Kelurahan.kode).limit(1))
    return _Home(kelurahan, "A")


async def reset_training(session: AsyncSession, viewer: Person, *, actor: str) -> bool:
    """Start the viewer's training RT over: its reports, funds, KK count, messages and conversations are deleted;
    the RT and its test persons stay. False when the viewer has none. Refuses (ValueError) a real RT."""
    training = await training_of(session, viewer)
    if training is None:
        return False
    rt = training.rt
    if not rt.latihan:
        raise ValueError(f"RT {rt.kode} is not a training RT")  # never reached: a guard against a wrong link
    person_ids = [p.id for p in training.people.values()]
    identities = [user_id(viewer, role) for role in ROLES]
    media_ids = select(Media.id).where(Media.rt_id == rt.id).scalar_subquery()
    report_ids = select(StageReport.id).where(StageReport.rt_id == rt.id).scalar_subquery()
    # Another RT's photo flagged as a reuse of a training photo keeps its flag's meaning without the link.
    await session.execute(update(Media).where(Media.reuse_of_media_id.in_(media_ids)).values(reuse_of_media_id=None))
    await session.execute(delete(FundReceipt).where(FundReceipt.rt_id == rt.id))
    await session.execute(delete(Spending).where(Spending.rt_id == rt.id))
    await session.execute(update(Media).where(Media.report_id.in_(report_ids)).values(report_id=None))
    await session.execute(delete(Media).where(Media.rt_id == rt.id))
    await session.execute(delete(StageReport).where(StageReport.rt_id == rt.id))
    for model in (ReportDraft, KKChangeRequest, JumlahKKHistory, Pesan, Invitation):
        await session.execute(delete(model).where(model.rt_id == rt.id))
    await session.execute(delete(ReminderClaim).where(ReminderClaim.person_id.in_(person_ids)))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.person_id.in_(person_ids)))
    for model, who in (
        (OutboxMessage, OutboxMessage.external_id),
        (InboundUpdate, InboundUpdate.person),
        (ConversationState, ConversationState.user_id),
        (CodeAttempt, CodeAttempt.user_id),
        (AlbumItem, AlbumItem.user_id),
    ):
        await session.execute(delete(model).where(model.channel == CHANNEL, who.in_(identities)))
    rt.jumlah_kk = None
    audit.record(session, actor=actor, action="latihan.ulang", entity="rt", entity_id=rt.id, kode=rt.kode)
    return True
