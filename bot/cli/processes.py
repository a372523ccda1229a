"""`kampung-bahagia clock` and `kampung-bahagia worker`: the Procfile's scheduler and delivery processes."""

import asyncio
from datetime import timedelta

import typer

from bot import migrate
from bot.bootstrap import bootstrap
from bot.cli.common import console
from bot.delivery.part import make_part
from bot.logs import configure_logging
from bot.runner import Part, run_parts
from bot.settings import Settings
from handlers.i18n import _, use_locale
from handlers.problems import describe_row
from services.problems import ProblemError


def _serve(parts: list[Part]) -> None:
    """Run parts until SIGINT/SIGTERM. No migrations here: `web` (or `db upgrade`) owns the schema."""
    settings = Settings()
    configure_logging(settings)

    async def main() -> None:
        app = bootstrap(settings)
        try:
            await run_parts(app, parts, one_ends_all=True)
        finally:
            await app.close()

    with use_locale("id"):
        try:
            asyncio.run(main())
        except ProblemError as error:
            for problem in error.problems:
                console.print(f"[red]✗[/red] {describe_row(problem)}", highlight=False)
            raise typer.Exit(1) from error
        console.print(_("Stopped."))


def clock() -> None:
    from bot.scheduler import part

    console.print(_("Reminder clock started."))
    _serve([part])


def worker(
    lease_seconds: float = typer.Option(
        None, "--lease-seconds", min=1, help=_("How long a claimed message is held before another run may take it.")
    ),
) -> None:
    lease = timedelta(seconds=lease_seconds) if lease_seconds else None
    console.print(_("Delivery worker started."))
    _serve([make_part(lease)])


def web() -> None:
    from bot.channels.registry import make_part as channels_part

    settings = Settings()
    configure_logging(settings)  # before the migrations, whose errors may quote the database URL
    migrate.upgrade(settings.database_url)
    _serve([channels_part(web=True)])


def register(app: typer.Typer) -> None:
    app.command(
        "web",
        help=_(
            "The web process: applies migrations, then the web app with every configured channel (webhook or polling)."
        ),
    )(web)
    app.command(
        "clock", help=_("The reminder clock (exactly one per deployment): monthly reminders and nudges, in WIB.")
    )(clock)
    app.command(
        "worker", help=_("Outbox delivery at each channel's rate limits; safe to stop and start at any moment.")
    )(worker)
