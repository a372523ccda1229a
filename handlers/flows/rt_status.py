"""`/rt`: a pendamping's RTs (an admin: the whole city), most urgent first, with who cannot be reached.

One message, no questions: the summary and the most urgent RTs, then (when there are any) the RTs whose Ketua RT
has not registered, the people who blocked the bot and those WhatsApp could not deliver to, each as its own
message so none passes 4,096 characters.
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.flows.pendamping_format import as_messages, capped, person_label, rt_label, status_line
from handlers.formatting import tanggal, tanpa_nol
from handlers.i18n import _
from handlers.messages import Reply
from services.assignments import rts_for
from services.contacts import registered_ketua, undeliverable, unreachable
from services.models import RT, Role
from services.schedule import StageState, StageStatus, stage_states_for_rts, urgency


async def start(ctx: Context, data: Data) -> Outcome:
    rts = await rts_for(ctx.session, ctx.person)
    if not rts:
        return Finish((Reply(_("No RT is assigned to you yet. Please contact the admin (DPMPPA).")),))
    states = await stage_states_for_rts(ctx.session, ctx.program, rts, ctx.today)
    ordered = sorted(rts, key=lambda rt: (urgency(states[rt.id]), rt.kode))
    ketua = await registered_ketua(ctx.session, [rt.id for rt in rts])
    unregistered = [rt for rt in rts if rt.id not in ketua]
    blocked = await unreachable(ctx.session, [rt.id for rt in rts])
    if ctx.person.role == Role.ADMIN:
        replies = as_messages(_city_summary(rts, states, unregistered, blocked, ordered))
    else:
        replies = as_messages(_pendamping_summary(rts, states, ordered))
        if unregistered:
            replies += as_messages(_unregistered(unregistered))
    if blocked:
        replies += as_messages(_blocked(rts, blocked))
    if not_delivered := await undeliverable(ctx.session, [rt.id for rt in rts]):
        replies += as_messages(_not_delivered(rts, not_delivered))
    return Finish(tuple(replies))


def _late_count(rts: list[RT], states: dict[int, list[StageState]]) -> int:
    return sum(1 for rt in rts if any(s.late for s in states[rt.id]))


def _waiting_count(states: dict[int, list[StageState]]) -> int:
    return sum(1 for per_rt in states.values() for s in per_rt if s.status == StageStatus.MENUNGGU_TINJAUAN)


def _lines(ordered: list[RT], states: dict[int, list[StageState]]) -> list[str]:
    return capped([status_line(rt, states[rt.id]) for rt in ordered])


def _pendamping_summary(rts: list[RT], states: dict[int, list[StageState]], ordered: list[RT]) -> list[str]:
    waiting = _waiting_count(states)
    late = _late_count(rts, states)
    # "2 late, 1 waiting for review": only what is there, never "0 late".
    counts = tanpa_nol(
        [(late, _("{count} late", count=late)), (waiting, _("{count} waiting for review", count=waiting))]
    )
    total = _("Your RTs: {total}.", total=len(rts))
    head = [f"{total} {counts}." if counts else total]
    if waiting:
        head.append(_("Send /tinjau to review them."))
    head.append(_("Most urgent first:"))
    return [*head, *_lines(ordered, states)]


def _city_summary(rts, states, unregistered: list[RT], blocked: list, ordered: list[RT]) -> list[str]:
    head = _(
        "Kota Jambi: {total} RTs (Kelompok A: {a}, Kelompok B: {b}).\n"
        "Ketua RT registered: {registered} RTs; not yet registered: {unregistered} RTs.\n"
        "Behind schedule: {late} RTs. Reports waiting for review: {waiting}.\n"
        "Blocked the bot: {blocked} people.",
        total=len(rts),
        a=sum(1 for rt in rts if rt.kelompok == "A"),
        b=sum(1 for rt in rts if rt.kelompok == "B"),
        registered=len(rts) - len(unregistered),
        unregistered=len(unregistered),
        late=_late_count(rts, states),
        waiting=_waiting_count(states),
        blocked=len(blocked),
    )
    return [head, "", _("Most urgent first:"), *_lines(ordered, states)]


def _unregistered(rts: list[RT]) -> list[str]:
    head = _(
        "Ketua RT not registered yet ({count} RTs). Remind them to register with their invitation code:",
        count=len(rts),
    )
    return [head, *capped([rt_label(rt) for rt in rts])]


def _blocked(rts: list[RT], blocked: list) -> list[str]:
    by_id = {rt.id: rt for rt in rts}
    lines = [
        _(
            "{rt}: {person} — blocked the bot since {date}",
            rt=rt_label(by_id[item.person.rt_id]),
            person=person_label(item.person),
            date=tanggal(item.identity.unreachable_at),
        )
        for item in blocked
    ]
    head = _("These people blocked the bot and do not receive messages. Please contact them directly:")
    return [head, *capped(lines)]


def _not_delivered(rts: list[RT], people: list) -> list[str]:
    by_id = {rt.id: rt for rt in rts}
    lines = [
        _(
            "{rt}: {person} — WhatsApp messages not delivered since {date}",
            rt=rt_label(by_id[item.person.rt_id]),
            person=person_label(item.person),
            date=tanggal(item.identity.undeliverable_at),
        )
        for item in people
    ]
    head = _(
        "WhatsApp could not deliver the bot's messages to these people lately. The bot keeps trying; "
        "meanwhile please contact them directly:"
    )
    return [head, *capped(lines)]


FLOW = Flow(name="rt", roles=frozenset({Role.PENDAMPING, Role.ADMIN}), start=start)
