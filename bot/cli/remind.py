"""`kampung-bahagia remind [--date YYYY-MM-DD] [--dry-run] [--rt CODE]`"""

from datetime import date

import typer
from rich.table import Table

from bot.bootstrap import App
from bot.cli.common import Refused, console, run_with_app
from bot.cli.quota_plan import print_plan
from handlers.formatting import WIB, tanggal
from handlers.i18n import _
from handlers.menu import role_name
from handlers.reminders import Planned, RunResult, run_slot
from services import reminders, rts
from services.models import utcnow


def _outcome(planned: Planned) -> str:
    return {
        "queued": _("queued"),
        "already": _("already sent"),
        "no_channel": _("no chat yet"),
        "dry_run": _("would be sent"),
    }[planned.outcome]


def _what(planned: Planned) -> str:
    reminder = planned.reminder
    if reminder.role == "pendamping":
        return _("digest of {count} RTs", count=len(reminder.agendas))
    agenda = reminder.agendas[0]
    stages = [s.stage.nama for s in (*agenda.opening, *agenda.due, *agenda.overdue, *agenda.sent_back)]
    return f"RT {agenda.rt_kode}: {', '.join(stages)}"


def _print(result: RunResult, show_text: bool) -> None:
    slot = result.slot
    console.print(
        _(
            "Reminder slot {kind} of {day} (period {period}).",
            kind=slot.kind,
            day=tanggal(slot.day),
            period=slot.period,
        ),
        highlight=False,
    )
    table = Table()
    for column in (_("Name"), _("Role"), _("What"), _("Outcome")):
        table.add_column(column)
    for planned in result.items:
        reminder = planned.reminder
        table.add_row(reminder.nama or "-", role_name(reminder.role), _what(planned), _outcome(planned))
    console.print(table)
    if result.quota is not None:
        print_plan(result.quota)
    if show_text:
        for planned in result.items:
            console.print(f"[bold]{planned.reminder.nama or '-'}[/bold]\n{planned.reply.text}\n", highlight=False)
    counts = result.counts
    console.print(
        _(
            "{queued} queued, {would} would be sent, {already} already sent before, {no_channel} without a chat.",
            queued=counts["queued"],
            would=counts["dry_run"],
            already=counts["already"],
            no_channel=counts["no_channel"],
        ),
        highlight=False,
    )
    if counts["queued"]:
        console.print(_("The delivery worker sends them (`kampung-bahagia worker` or `run`)."))


def remind(
    on: str = typer.Option(None, "--date", help=_("YYYY-MM-DD (WIB); default today.")),
    dry_run: bool = typer.Option(
        False, "--dry-run", help=_("Only list who would receive what, and the plan day by day per channel.")
    ),
    rt: str = typer.Option(None, "--rt", help=_("Only this RT (code).")),
    show_text: bool = typer.Option(False, "--text", help=_("Also print every message.")),
) -> None:
    try:
        day = date.fromisoformat(on) if on else utcnow().astimezone(WIB).date()
    except ValueError as error:
        raise Refused(_("Write the date as YYYY-MM-DD, for example 2026-04-01.")) from error

    async def work(app: App) -> RunResult:
        if rt:
            async with app.db.unit_of_work() as session:
                await rts.get_rt(session, rt)  # an unknown code is an error, not "nobody to remind"
        # Content as of the given day; queued now, so the worker sends it at once.
        slot = reminders.slot_for_day(app.program, day)
        return await run_slot(
            app.db,
            app.program,
            slot,
            day,
            now=utcnow(),
            rt_kode=rt,
            dry_run=dry_run,
            daily_limit=app.settings.whatsapp_daily_limit,
        )

    _print(run_with_app(work), show_text)


def register(app: typer.Typer) -> None:
    app.command(
        "remind",
        help=_("Run the reminders of a date: the slot of that day (1st: monthly, 20th: nudge), each person once."),
    )(remind)
