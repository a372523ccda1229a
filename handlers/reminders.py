"""Reminder texts and the run that queues them; the sender's view of a broadcast (progress, final report).

The services decide who hears what (services.reminders) and keep it exactly-once; this module words it in each
person's language and queues it through the outbox, which the delivery worker sends at the platform's pace.
"""

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.formatting import WIB, bulan, number, rt_nama_dari_kode, tanggal, tanpa_nol
from handlers.i18n import _, use_locale
from handlers.messages import Reply
from handlers.payload import payload_of
from handlers.whatsapp_template_values import reminder_fields
from services import reminders as service
from services import whatsapp_quota as quota
from services.db import Database
from services.models import Role, utcnow
from services.program import Program
from services.reminders import Agenda, Reminder, Slot
from services.schedule import StageState, StageStatus
from services.whatsapp_quota import DEFAULT_DAILY_LIMIT, QuotaPlan

MAX_DIGEST_RTS = 30
MAX_UNREGISTERED_LISTED = 10
CLAIM_BATCH = 200


def _end_of(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _stage_lines(heading: str, states: tuple[StageState, ...], line) -> list[str]:
    if not states:
        return []
    return ["", heading, *(line(s) for s in states)]


def _agenda_lines(agenda: Agenda, merge_opening: bool) -> list[str]:
    def due(s: StageState) -> str:
        return _("• {stage} — report by {date}", stage=s.stage.nama, date=tanggal(_end_of(s.months[-1])))

    def late(s: StageState) -> str:
        if s.status == StageStatus.DIKEMBALIKAN:
            return _("• {stage} — sent back, was due in {month}", stage=s.stage.nama, month=bulan(s.months[-1]))
        return _("• {stage} — was due in {month}", stage=s.stage.nama, month=bulan(s.months[-1]))

    def plain(s: StageState) -> str:
        return f"• {s.stage.nama}"  # a name only: nothing to translate

    opening, still_due = agenda.opening, agenda.due
    if merge_opening:
        opening, still_due = (), agenda.opening + agenda.due
    return [
        *_stage_lines(_("Starting this month:"), opening, due),
        *_stage_lines(_("Still to report:"), still_due, due),
        *_stage_lines(_("Late:"), agenda.overdue, late),
        *_stage_lines(_("Sent back to be fixed:"), agenda.sent_back, plain),
        *_stage_lines(_("Waiting for your pendamping's review:"), agenda.waiting, plain),
    ]


def _rt_reminder(reminder: Reminder) -> str:
    agenda = reminder.agendas[0]
    month = bulan(reminder.today)
    rt = rt_nama_dari_kode(agenda.rt_kode)
    if reminder.catch_up:
        header = _("Welcome! Here is what {rt} needs to do now:", rt=rt)
    elif reminder.kind == service.SUSULAN:
        header = _("Reminder for {rt}: these stages are still open in {month}.", rt=rt, month=month)
    else:
        header = _("Kampung Bahagia reminder for {month}, {rt}:", month=month, rt=rt)
    lines = [header, *_agenda_lines(agenda, merge_opening=reminder.kind == service.SUSULAN), ""]
    if reminder.role == Role.BENDAHARA:
        lines.append(_("Send /dana to record funds received, /belanja to record spending, or /saldo for the balance."))
    else:
        lines.append(_("Send /lapor to report a stage with photos, or /jadwal to see your RT's whole schedule."))
    return "\n".join(lines)


def _digest_counts(agenda: Agenda) -> str:
    # Only what is there: "1 sent back, 1 waiting for review", never "0 late, 1 sent back, 0 due, …".
    return tanpa_nol(
        [
            (len(agenda.overdue), _("{count} late", count=len(agenda.overdue))),
            (len(agenda.sent_back), _("{count} sent back", count=len(agenda.sent_back))),
            (len(agenda.opening) + len(agenda.due), _("{count} due", count=len(agenda.opening) + len(agenda.due))),
            (len(agenda.waiting), _("{count} waiting for review", count=len(agenda.waiting))),
        ]
    )


def _digest(reminder: Reminder) -> str:
    month = bulan(reminder.today)
    agendas = reminder.agendas
    if agendas:
        lines = [
            _(
                "Monthly summary for {month}: {count} of your RTs need attention, most urgent first.",
                month=month,
                count=number(len(agendas)),
            ),
            "",
        ]
    else:
        lines = [_("Monthly summary for {month}.", month=month), ""]
    for agenda in agendas[:MAX_DIGEST_RTS]:
        lines.append(f"• {rt_nama_dari_kode(agenda.rt_kode)}: {_digest_counts(agenda)}")  # a list line: nothing to word
    if len(agendas) > MAX_DIGEST_RTS:
        lines.append(_("…and {count} more RTs.", count=number(len(agendas) - MAX_DIGEST_RTS)))
    if reminder.unregistered:
        listed = ", ".join(rt_nama_dari_kode(kode) for kode in reminder.unregistered[:MAX_UNREGISTERED_LISTED])
        if len(reminder.unregistered) > MAX_UNREGISTERED_LISTED:
            listed += ", …"
        lines += [
            "",
            _(
                "{count} of your RTs have no registered Ketua RT yet: {rts}. "
                "Please help them register with their invitation code.",
                count=number(len(reminder.unregistered)),
                rts=listed,
            ),
        ]
    lines += ["", _("Send /rt to see the details, or /tinjau to review reports.")]
    return "\n".join(lines)


def render(reminder: Reminder) -> Reply:
    """The reminder in the recipient's language."""
    with use_locale(reminder.locale):
        text = _digest(reminder) if reminder.role == Role.PENDAMPING else _rt_reminder(reminder)
    return Reply(text)


@dataclass(frozen=True)
class Planned:
    reminder: Reminder
    reply: Reply
    outcome: str  # queued | already | no_channel | dry_run


@dataclass
class RunResult:
    slot: Slot
    items: list[Planned] = field(default_factory=list)
    # When the reminders to send (or, in a dry run, that would be sent) go out, per day and channel.
    quota: QuotaPlan | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def counts(self) -> Counter:
        return Counter(item.outcome for item in self.items)


async def run_slot(
    db: Database,
    program: Program,
    slot: Slot,
    today: date,
    *,
    now: datetime | None = None,
    rt_kode: str | None = None,
    catch_up_only: bool = False,
    dry_run: bool = False,
    daily_limit: int = DEFAULT_DAILY_LIMIT,
) -> RunResult:
    """Plan the slot as of `today` and queue every reminder not claimed yet (or only list them: dry run).

    WhatsApp reminders that need a template are spread over the days WhatsApp's quota allows, most urgent first.
    """
    now = now or utcnow()
    async with db.unit_of_work() as session:
        planned = await service.plan(session, program, slot, today, rt_kode=rt_kode)
    if catch_up_only:
        planned = [r for r in planned if r.catch_up]
    result = RunResult(slot)
    todo = []
    for reminder in planned:
        reply = render(reminder)
        if reminder.identity is None:
            result.items.append(Planned(reminder, reply, "no_channel"))
        elif reminder.claimed:
            result.items.append(Planned(reminder, reply, "already"))
        elif dry_run:
            result.items.append(Planned(reminder, reply, "dry_run"))
        else:
            todo.append((reminder, reply))
    going = [item.reminder for item in result.items if item.outcome == "dry_run"] + [r for r, _reply in todo]
    recipients = [quota.Recipient.of(r.identity, quota.urgency_of(r.states)) for r in going]
    start = min(now, utcnow())
    if recipients:
        async with db.unit_of_work() as session:
            result.quota = await quota.plan_with_bookings(session, recipients, start, daily_limit)
    else:  # the clock's usual tick: nobody new to remind, no need to read the outbox
        result.quota = quota.plan([], start, daily_limit)
    # Short transactions: a crash loses nothing (each claim commits with its message), and SQLite's single
    # writer is never held for the whole city.
    for start in range(0, len(todo), CLAIM_BATCH):
        async with db.unit_of_work() as session:
            for reminder, reply in todo[start : start + CLAIM_BATCH]:
                # Queued no later than the real clock: a training session's simulated future (SIMULATED_START)
                # decides what is due, not when the worker, which runs on real time, may send it.
                # With the facts for the WhatsApp template used outside the person's 24-hour window.
                payload = {**payload_of(reply), **reminder_fields(reminder)}
                later = result.quota.not_before(reminder.person_id)
                queued = await service.claim(session, reminder, payload, min(now, utcnow()), not_before=later)
                result.items.append(Planned(reminder, reply, "queued" if queued else "already"))
    return result


async def run_due(
    db: Database, program: Program, now: datetime | None = None, daily_limit: int = DEFAULT_DAILY_LIMIT
) -> RunResult:
    """The clock's job: the latest slot if it is within the grace window, else only catch-ups for newcomers."""
    now = now or utcnow()
    slot = service.latest_slot(program, now)
    today = now.astimezone(WIB).date()
    full = service.within_grace(program, slot, now)
    return await run_slot(db, program, slot, today, now=now, catch_up_only=not full, daily_limit=daily_limit)
