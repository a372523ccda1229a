"""Siaran on the dashboard: the history of broadcasts and reminders with their delivery reports, one broadcast's
detail, and the form that starts a broadcast — the same groups, limits, confirmation and words as the chat's
/siaran (handlers/flows/siaran.py), so a pendamping only ever reaches their own RTs."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.flows.pendamping_audience import SCOPE_OF, audience_choices, broadcast_text, payload_renderer
from handlers.flows.siaran import audience_problem, confirmation_lines, text_problem
from handlers.formatting import bulan, number, rt_nama_dari_kode, tanpa_nol, waktu
from handlers.i18n import _
from handlers.menu import role_name
from services import broadcast_history, broadcasts
from services.assignments import rts_for
from services.broadcast_history import DELIVERED, FAILED, QUEUED, READ, SENT, Entry, Report
from services.models import Broadcast, Person
from services.program import Program
from services.web_sessions import SignedIn
from services.wib import WIB

# An identical message from the same person within this time is taken as the same broadcast posted again.
RESEND_GUARD = timedelta(minutes=10)


def state_names() -> dict[str, str]:
    return {
        QUEUED: _("queued"),
        SENT: _("sent"),
        DELIVERED: _("reached the phone"),
        READ: _("read"),
        FAILED: _("failed"),
    }


def channel_name(channel: str) -> str:
    return {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": _("console")}.get(channel, channel)


def report_lines(report: Report) -> list[str]:
    """ "Telegram: 3 sent, 1 failed" per channel; only the states that are not zero (BAHASA.md)."""
    names = state_names()
    return [
        f"{channel_name(channel)}: "
        + tanpa_nol((counts.get(state, 0), f"{number(counts.get(state, 0))} {names[state]}") for state in names)
        for channel, counts in report.by_channel.items()
    ]


def audience_label(audience: dict) -> str:
    """How a stored broadcast's audience is shown to whoever reads the history (not only its sender)."""
    scope, kelompok = audience.get("scope"), audience.get("kelompok")
    label = {
        "assigned": _("All RTs of the sender"),
        "city": _("All RTs in the city"),
        "kelompok": _("Kelompok {kelompok} only", kelompok=kelompok),
        "behind": _("RTs behind schedule"),
        "cli": _("Kelompok {kelompok} only", kelompok=kelompok) if kelompok else _("Chosen RTs (command line)"),
    }.get(scope, "-")
    if audience.get("rts"):
        label += " · " + _("{count} RTs", count=number(audience["rts"]))
    return label


def sender_label(entry: Entry) -> str:
    if entry.reminder_kind:
        return _("The bot (scheduled reminder)")
    if entry.sender is None:
        return _("DPMPPA (command line)")
    return f"{entry.sender.nama or '-'} · {role_name(entry.sender.role)}"


def what_label(entry: Entry) -> str:
    if entry.reminder_kind:
        month = bulan(date.fromisoformat(f"{entry.period}-01"))
        if entry.reminder_kind == "susulan":
            return _("Follow-up reminder, {month}", month=month)
        return _("Monthly reminder, {month}", month=month)
    text = " ".join(entry.broadcast.text.split())
    return text if len(text) <= 90 else text[:89].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Row:
    entry: Entry
    what: str
    audience: str
    sender: str
    report: list[str]


def _row(entry: Entry) -> Row:
    audience = (
        _("Ketua RT, Bendahara Pokja and pendamping with something to report")
        if entry.reminder_kind
        else audience_label(entry.broadcast.audience or {})
    )
    return Row(entry, what_label(entry), audience, sender_label(entry), report_lines(entry.report))


async def siaran_page(
    session: AsyncSession,
    viewer: SignedIn,
    *,
    page_number: int = 1,
    choice: str | None = None,
    text: str = "",
    problem: str | None = None,
    notice: str | None = None,
) -> str:
    """The form (with what was typed, and why it was not accepted) above the history, newest first."""
    history = await broadcast_history.history(session, viewer.person, page=page_number)
    rts = await rts_for(session, viewer.person)
    with speaking(viewer):
        title = _("Broadcasts")
        choices = audience_choices(viewer.person, rts) if rts else ()
        rows = [_row(entry) for entry in history.entries]
    return page(
        "siaran.html",
        viewer,
        title=title,
        active="siaran",
        choices=choices,
        chosen=choice,
        text=text,
        maximum=broadcasts.MAX_TEXT,
        problem=problem,
        notice=notice,
        rows=rows,
        history=history,
    )


async def detail_page(session: AsyncSession, viewer: SignedIn, broadcast: Broadcast, *, notice: str | None) -> str:
    entry = await broadcast_history.broadcast_entry(session, broadcast.id)
    people = await broadcast_history.recipients(session, broadcast.id)
    with speaking(viewer):
        title = _("Broadcast of {date}", date=waktu(broadcast.created_at))
        row = _row(entry)
        names = state_names()
        recipients = [
            (
                p.nama,
                rt_nama_dari_kode(p.rt_kode) if p.rt_kode else "-",
                channel_name(p.channel),
                names[p.state],
                p.error,
            )
            for p in people
        ]
    return page(
        "siaran_detail.html",
        viewer,
        title=title,
        active="siaran",
        row=row,
        text=broadcast.text,
        states=[(state, names[state]) for state in names],
        channels=[(channel, channel_name(channel)) for channel in entry.report.by_channel],
        report=entry.report,
        recipients=recipients,
        notice=notice,
    )


async def _audience(
    session: AsyncSession, program: Program, sender: Person, choice: str, now: datetime
) -> broadcasts.Audience:
    scope, kelompok = SCOPE_OF[choice]
    return await broadcasts.select_audience(
        session, program, sender, scope, kelompok=kelompok, today=now.astimezone(WIB).date()
    )


@dataclass(frozen=True)
class Checked:
    """A posted broadcast form: the audience and text when both are acceptable, else the sentence saying why."""

    choice: str | None
    text: str
    problem: str | None = None
    audience: broadcasts.Audience | None = None


async def check(
    session: AsyncSession, program: Program, viewer: SignedIn, choice: str | None, text: str, now: datetime
) -> Checked:
    """The chat's checks in the chat's order and words: a group this person is offered, one with someone to
    receive it, then the text's limits."""
    # A browser posts a textarea's line breaks as CRLF; the chat counts (and sends) "\n".
    text = (text or "").replace("\r\n", "\n").strip()
    rts = await rts_for(session, viewer.person)
    with speaking(viewer):
        if not rts:
            return Checked(None, text, _("No RT is assigned to you yet. Please contact the admin (DPMPPA)."))
        offered = {c.id for c in audience_choices(viewer.person, rts)}
        if choice not in offered:
            return Checked(None, text, _("Please choose one of the groups with the buttons."))
        audience = await _audience(session, program, viewer.person, choice, now)
        problem = audience_problem(choice, audience) or text_problem(text)
    return Checked(choice, text, problem, audience if problem is None else None)


async def confirm_page(
    session: AsyncSession, viewer: SignedIn, checked: Checked, now: datetime, daily_limit: int
) -> str:
    """The preview and the counts the chat shows before "Kirim", with the two buttons that decide."""
    plan = await broadcasts.delivery_plan(session, checked.audience, now, daily_limit)
    with speaking(viewer):
        title = _("Send the message?")
        preview = broadcast_text(viewer.person, checked.text)
        lines = confirmation_lines(checked.choice, checked.audience, plan)
    return page(
        "siaran_konfirmasi.html",
        viewer,
        title=title,
        active="siaran",
        preview=preview,
        lines=lines,
        choice=checked.choice,
        text=checked.text,
    )


async def send(
    session: AsyncSession,
    program: Program,
    viewer: SignedIn,
    checked: Checked,
    *,
    now: datetime,
    daily_limit: int,
    actor: str,
) -> tuple[Broadcast, bool]:
    """Queue it: one Broadcast and one outbox row per recipient of the audience chosen again now (someone may
    have registered, or fallen behind, since the preview). Returns the broadcast and whether it is new: the same
    text sent by the same person in the last minutes is that broadcast, not a second one (in the chat the
    conversation's state prevents a double send; a web form can be posted twice)."""
    earlier = await broadcast_history.just_sent(session, viewer.person, checked.text, now - RESEND_GUARD)
    if earlier is not None:
        return earlier, False
    broadcast, _queued = await broadcasts.create_broadcast(
        session,
        viewer.person,
        checked.audience,
        checked.text,
        payload_renderer(viewer.person, checked.text),
        actor=actor,
        now=now,
        daily_limit=daily_limit,
    )
    return broadcast, True


def already_sent_notice(at: datetime) -> str:
    return _("This message was already sent at {time}; it is not sent twice.", time=waktu(at))


def sent_notice(count: int) -> str:
    # Not the chat's sentence: there the report "comes here", in the chat; on the dashboard it is this page.
    return _("Message scheduled for {count} recipients. Its delivery report is below.", count=number(count))


def cancelled_notice() -> str:
    return _("Cancelled. Nothing was sent.")
