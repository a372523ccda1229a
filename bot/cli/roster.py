"""`kampung-bahagia roster import|demo`"""

from pathlib import Path

import typer
from rich.progress import Progress

from bot.bootstrap import App
from bot.cli.common import console, run_with_app
from handlers.i18n import _
from services import roster
from services.demo import demo_roster

app = typer.Typer(help=_("The RT roster."), no_args_is_help=True)


async def import_table(app_: App, table: list[dict[str, str]], *, actor: str) -> roster.ImportSummary:
    """Validate every row, then import all of them in one transaction (nothing on any error)."""
    async with app_.db.unit_of_work() as session:
        with Progress(console=console, transient=True) as progress:
            # Blank rows are skipped, so this is the number of RTs whenever the file is valid (and then imported).
            task = progress.add_task(_("Importing RTs"), total=sum(1 for row in table if row))
            return await roster.validate_and_import(
                session, table, app_.program, actor=actor, progress=lambda: progress.advance(task)
            )


def _print_summary(summary: roster.ImportSummary) -> None:
    console.print(
        _(
            "{total} RTs: {created} new, {updated} updated, {unchanged} unchanged.",
            total=summary.total,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )


@app.command(
    "import", help=_("Import a CSV or XLSX roster (kode_kelurahan,rt,kelompok,jumlah_kk,pilot_2025,pendamping).")
)
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:

    async def work(app_: App) -> roster.ImportSummary:
        return await import_table(app_, roster.read_table(file), actor="cli:roster import")

    _print_summary(run_with_app(work))


@app.command("demo", help=_("Load a deterministic demo roster over the 68 real kelurahan."))
def demo(
    rts: int = typer.Option(1583, min=1, max=20000, help=_("How many RTs.")),
    seed: int = typer.Option(2026, help=_("Same seed, same roster.")),
) -> None:

    async def work(app_: App) -> roster.ImportSummary:
        return await import_table(app_, demo_roster(rts, seed), actor="cli:roster demo")

    _print_summary(run_with_app(work))
