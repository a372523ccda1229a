"""KK changes after funds arrived: the allocation would change, so the RT's pendamping must approve them first."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, rts
from services.assignments import real_rt
from services.funds import counted_receipts
from services.models import RT, KKChangeRequest, Person, Role, utcnow
from services.problems import ProblemError
from services.program import Program

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


async def funds_received(session: AsyncSession, rt: RT) -> bool:
    """True once the Pokja confirmed money on its account: from then on the KK count is locked."""
    return await session.scalar(counted_receipts(rt.id).limit(1)) is not None


async def pending_request(session: AsyncSession, rt: RT) -> KKChangeRequest | None:
    return await session.scalar(
        select(KKChangeRequest)
        .where(KKChangeRequest.rt_id == rt.id, KKChangeRequest.status == PENDING)
        .order_by(KKChangeRequest.id.desc())
        .limit(1)
    )


async def request_change(
    session: AsyncSession,
    program: Program,
    rt: RT,
    value: int,
    *,
    person: Person,
    actor: str,
    now: datetime | None = None,
) -> KKChangeRequest:
    """Ask for a new KK count; one open request per RT, so the pendamping never decides on a stale number."""
    rts.validate_jumlah_kk(program, value)
    if await pending_request(session, rt) is not None:
        raise ProblemError.one("kk_change_pending", rt=rt.kode)
    if rt.jumlah_kk == value:
        raise ProblemError.one("kk_change_same", value=value)
    request = KKChangeRequest(
        rt_id=rt.id,
        old=rt.jumlah_kk,
        new=value,
        status=PENDING,
        requested_by_id=person.id,
        requested_at=now or utcnow(),
    )
    session.add(request)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="kk_change.request",
        entity="kk_change_request",
        entity_id=request.id,
        person_id=person.id,
        rt=rt.kode,
        old=rt.jumlah_kk,
        new=value,
    )
    return request


def may_decide(person: Person, rt: RT) -> bool:
    """An admin decides for any RT; a pendamping only for the RTs assigned to them."""
    if person.role == Role.ADMIN:
        return True
    return person.role == Role.PENDAMPING and rt.pendamping_id == person.id


async def decide(
    session: AsyncSession,
    program: Program,
    request_id: int,
    *,
    approve: bool,
    person: Person,
    actor: str,
    now: datetime | None = None,
) -> tuple[KKChangeRequest, RT]:
    """Approve (the count changes, with history and audit) or reject a pending request.

    Raises ProblemError kk_change_not_found / kk_change_not_allowed / kk_change_decided; nothing changes then.
    """
    request = await session.get(KKChangeRequest, request_id, with_for_update=True)
    if request is None:
        raise ProblemError.one("kk_change_not_found", id=request_id)
    rt = await session.get(RT, request.rt_id)
    if not may_decide(person, rt):
        raise ProblemError.one("kk_change_not_allowed", id=request_id)
    if request.status != PENDING:
        raise ProblemError.one("kk_change_decided", id=request_id, status=request.status)
    now = now or utcnow()
    request.status = APPROVED if approve else REJECTED
    request.decided_by_id = person.id
    request.decided_at = now
    audit.record(
        session,
        actor=actor,
        action="kk_change.approve" if approve else "kk_change.reject",
        entity="kk_change_request",
        entity_id=request.id,
        person_id=person.id,
        rt=rt.kode,
        old=request.old,
        new=request.new,
    )
    if approve:
        await rts.set_jumlah_kk(
            session, program, rt, request.new, actor=actor, person=person, source="kk_change", now=now
        )
    await session.flush()
    return request, rt


async def pending_for(session: AsyncSession, person: Person) -> list[tuple[KKChangeRequest, RT]]:
    """Open requests this person may decide, oldest first."""
    query = (
        select(KKChangeRequest, RT)
        .join(RT, RT.id == KKChangeRequest.rt_id)
        # A training RT's request (the simulator's) is nobody's to decide, not even an admin's.
        .where(KKChangeRequest.status == PENDING, real_rt())
        .order_by(KKChangeRequest.id)
    )
    if person.role != Role.ADMIN:
        query = query.where(RT.pendamping_id == person.id)
    return [(request, rt) for request, rt in await session.execute(query)]
