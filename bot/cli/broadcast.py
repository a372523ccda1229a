"""`kampung-bahagia broadcast --kelompok A --text "..."`: a message to Ketua RTs, followed to the last delivery."""

import asyncio

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import App
from bot.cli.common import Refused, console, run_with_app
from bot.cli.quota_plan import print_plan
from handlers.broadcast_reports import cli_broadcast_payload, final_report_reply
from handlers.delivery_plan import plan_summary
from handlers.formatting import WIB
from handlers.i18n import _
from services import delivery
from services.assignments import real_rt
from services.broadcasts import MAX_TEXT, quota_recipients
from services.contacts import registered_ketua
from services.delivery import Progress as DeliveryProgress
from services.models import RT, Person, utcnow
from services.program import KELOMPOK
from services.schedule import stage_states_for_rts
from services.whatsapp_quota import QuotaPlan, plan_with_bookings, urgency_of

ACTOR = "cli:broadcast"
POLL = 0.5


async def _audience(session: AsyncSession, kelompok: str | None, rt_codes: list[str]) -> tuple[list[RT], list[Person]]:
    """The chosen RTs and their registered Ketua RT."""
    query = select(RT).where(real_rt()).order_by(RT.kode)
    if kelompok:
        query = query.where(RT.kelompok == kelompok)
    if rt_codes:
        query = query.where(RT.kode.in_(rt_codes))
    rts = list(await session.scalars(query))
    ketua = await registered_ketua(session, [rt.id for rt in rts])
    return rts, [person for rt in rts for person in ketua.get(rt.id, [])]


async def _plan(app: App, kelompok: str | None, rt_codes: list[str]) -> tuple[int, int, QuotaPlan]:
    """Returns (recipients, RTs whose Ketua RT cannot be reached yet, when each message can go)."""
    now = utcnow()
    async with app.db.unit_of_work() as session:
        rts, recipients = await _audience(session, kelompok, rt_codes)
        # Urgency on the program's day (a training session's simulated date); the plan on the real clock.
        states = await stage_states_for_rts(session, app.program, rts, app.clock().astimezone(WIB).date())
        urgencies = {p.id: urgency_of(states[p.rt_id]) for p in recipients}
        people = await quota_recipients(session, recipients, urgencies)
        plan = await plan_with_bookings(session, people, now, app.settings.whatsapp_daily_limit)
        return len(recipients), len(rts) - len({p.rt_id for p in recipients}), plan


async def _queue(app: App, text: str, kelompok: str | None, rt_codes: list[str], plan: QuotaPlan) -> tuple[int, int]:
    """Returns (broadcast id, messages queued); WhatsApp templates beyond the day's quota wait for their day."""
    async with app.db.unit_of_work() as session:
        rts, recipients = await _audience(session, kelompok, rt_codes)
        if not recipients:
            return 0, 0
        audience = {"scope": "cli", "kelompok": kelompok, "rts": len(rts)}
        broadcast, queued = await delivery.queue_broadcast(
            session,
            text=text,
            recipients=recipients,
            payload=cli_broadcast_payload(text),
            created_by=ACTOR,
            audience=audience,
            not_before=plan.later_by_person,
        )
        return broadcast.id, queued


async def follow(app: App, broadcast_id: int, total: int) -> DeliveryProgress:
    """A progress bar that follows the worker's deliveries until every message has an outcome."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(_("Delivered"), total=total)
        while True:
            async with app.db.unit_of_work() as session:
                progress = await delivery.broadcast_progress(session, broadcast_id)
            bar.update(task, completed=progress.done)
            if progress.finished:
                return progress
            await asyncio.sleep(POLL)


def broadcast(
    text: str = typer.Option(..., "--text", help=_("The message (at most 1000 characters).")),
    kelompok: str = typer.Option(None, "--kelompok", help=_("Only RTs of this Kelompok (A or B).")),
    rt: list[str] = typer.Option(None, "--rt", help=_("Only this RT (repeatable).")),
    wait: bool = typer.Option(True, "--wait/--no-wait", help=_("Follow the delivery with a progress bar.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Send without asking (the plan is still printed).")),
) -> None:
    if kelompok is not None and kelompok.upper() not in KELOMPOK:
        raise Refused(_("Kelompok is A or B."))
    group = kelompok.upper() if kelompok else None
    body = text.strip()
    if not body or len(body) > MAX_TEXT:
        raise Refused(_("The message must have 1 to {maximum} characters.", maximum=MAX_TEXT))

    async def work(app: App) -> None:
        recipients, unregistered, plan = await _plan(app, group, rt or [])
        if unregistered:
            console.print(_("{count} RTs have no registered Ketua RT and get nothing.", count=unregistered))
        if not recipients:
            console.print(_("Nobody can receive this message yet. Nothing was sent."))
            raise typer.Exit(1)
        # Before anything is queued: how many go now, how many wait for WhatsApp's quota, over how many days.
        console.print(plan_summary(plan), highlight=False)
        print_plan(plan)
        if not yes and not typer.confirm(_("Send?")):
            console.print(_("Cancelled. Nothing was sent."))
            return
        broadcast_id, queued = await _queue(app, body, group, rt or [], plan)
        if not queued:
            console.print(_("Nobody can receive this message yet. Nothing was sent."))
            raise typer.Exit(1)
        console.print(_("{count} messages queued (broadcast {id}).", count=queued, id=broadcast_id), highlight=False)
        if not wait:
            return
        console.print(_("Following the delivery worker; Ctrl-C stops following, not the delivery."))
        progress = await follow(app, broadcast_id, queued)
        console.print(final_report_reply(body, progress).text, highlight=False)

    try:
        run_with_app(work)
    except KeyboardInterrupt:
        console.print(_("Stopped following. The worker keeps delivering."))


def register(app: typer.Typer) -> None:
    help_text = _(
        "Send a message to the registered Ketua RT of every chosen RT, through the outbox and the worker.\n\n"
        "First it shows how many go now and how many wait for WhatsApp's daily quota, and asks (unless --yes)."
    )
    app.command("broadcast", help=help_text)(broadcast)
