"""`kampung-bahagia budget`"""

import typer
from rich.table import Table

from bot.bootstrap import App
from bot.cli.common import console, run_with_app
from handlers.formatting import number, rupiah
from handlers.i18n import _
from services.budget import BudgetTotals, budget_totals


def budget() -> None:

    async def work(app_: App) -> BudgetTotals:
        async with app_.db.unit_of_work() as session:
            return await budget_totals(session, app_.program)

    totals = run_with_app(work)
    for title, buckets in (
        (_("By tier"), totals.by_tier),
        (_("By Kelompok"), dict(sorted(totals.by_kelompok.items()))),
        (_("By kecamatan"), dict(sorted(totals.by_kecamatan.items()))),
    ):
        table = Table(title=title)
        table.add_column("")
        table.add_column(_("RTs"), justify="right")
        table.add_column(_("Allocation"), justify="right")
        for name, total in buckets.items():
            table.add_row(name, number(total.rts), rupiah(total.rupiah))
        table.add_row(_("Total"), number(totals.overall.rts), rupiah(totals.overall.rupiah), style="bold")
        console.print(table)
    if totals.unregistered:
        console.print(_("{count} RTs have no KK count yet and no allocation.", count=number(totals.unregistered)))


def register(app: typer.Typer) -> None:
    app.command("budget", help=_("Allocation totals by tier, Kelompok and kecamatan."))(budget)
