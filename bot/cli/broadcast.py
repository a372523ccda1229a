"""`kampung-bahagia broadcast --kelompok A --text "..."`: a message to Ketua RTs, followed to the last delivery."""

import asyncio

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from bot.bootstrap import App
from bot.cli.common import console, run_with_app
from handlers.i18n import _
from handlers.reminders import cli_broadcast_payload, final_report_reply
from services import delivery
from services.broadcasts import MAX_TEXT
from services.contacts import registered_ketua
from services.delivery import Progress as DeliveryProgress
from services.models import RT
from services.program import KELOMPOK

ACTOR = "cli:broadcast"
POLL = 0.5


async def _queue(app: App, text: str, kelompok: str | None, rt_codes: list[str]) -> tuple[int, int, int]:
    """Returns (broadcast id, messages queued, RTs whose Ketua RT cannot be reached yet)."""
    async with app.db.unit_of_work() as session:
        query = select(RT).order_by(RT.kode)
        if kelompok:
            query = query.where(RT.kelompok == kelompok)
        if rt_codes:
            query = query.where(RT.kode.in_(rt_codes))
        rts = list(await session.scalars(query))
        ketua = await registered_ketua(session, [rt.id for rt in rts])
        recipients = [person for rt in rts for person in ketua.get(rt.id, [])]
        if not recipients:
            return 0, 0, len(rts)
        audience = {"scope": "cli", "kelompok": kelompok, "rts": len(rts)}
        broadcast, queued = await delivery.queue_broadcast(
            session,
            text=text,
            recipients=recipients,
            payload=cli_broadcast_payload(text),
            created_by=ACTOR,
            audience=audience,
        )
        return broadcast.id, queued, sum(1 for rt in rts if rt.id not in ketua)


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
    text: str = typer.Option(..., "--text", help="The message (at most 1000 characters)."),
    kelompok: str = typer.Option(None, "--kelompok", help="Only RTs of this Kelompok (A or B)."),
    rt: list[str] = typer.Option(None, "--rt", help="Only this RT (repeatable)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the delivery with a progress bar."),
) -> None:
    """Send a message to the registered Ketua RT of every chosen RT, through the outbox and the worker."""
    if kelompok is not None and kelompok.upper() not in KELOMPOK:
        raise typer.BadParameter(_("Kelompok is A or B."))
    group = kelompok.upper() if kelompok else None
    body = text.strip()
    if not body or len(body) > MAX_TEXT:
        raise typer.BadParameter(_("The message must have 1 to {maximum} characters.", maximum=MAX_TEXT))

    async def work(app: App) -> None:
        broadcast_id, queued, unregistered = await _queue(app, body, group, rt or [])
        if unregistered:
            console.print(_("{count} RTs have no registered Ketua RT and get nothing.", count=unregistered))
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
    app.command("broadcast")(broadcast)
