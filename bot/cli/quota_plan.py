"""The WhatsApp quota plan as a table: day by day, per channel (`remind`, `broadcast`)."""

from rich.table import Table

from bot.cli.common import console
from handlers.formatting import number, tanggal
from handlers.i18n import _
from services.whatsapp_quota import QuotaPlan


def print_plan(plan: QuotaPlan) -> None:
    if not plan.days:
        return
    title = _("Delivery plan (WhatsApp: at most {limit} people a day by template)", limit=number(plan.limit))
    table = Table(title=title)
    table.add_column(_("Day"))
    for column in ("Telegram", _("WhatsApp in window"), _("WhatsApp by template"), _("Total")):
        table.add_column(column, justify="right")
    for day in plan.days:
        table.add_row(
            _("Day {n} ({date})", n=day.index + 1, date=tanggal(day.start)),
            number(day.telegram),
            number(day.window),
            number(day.template),
            number(day.total),
        )
    console.print(table)
    overdue = plan.overdue
    if overdue:
        console.print(
            _(
                "Overdue: {first} of {overdue} people with an overdue stage are reached on day 1.",
                first=number(plan.days[0].overdue),
                overdue=number(overdue),
            ),
            highlight=False,
        )
    later = plan.later
    if later:
        console.print(
            _(
                "{later} WhatsApp messages wait for a later day; the delivery worker sends each on its day.",
                later=number(later),
            ),
            highlight=False,
        )
