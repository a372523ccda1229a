"""`kampung-bahagia clock` and `kampung-bahagia worker`: the Procfile's scheduler and delivery processes."""

import asyncio
import signal
from datetime import timedelta

import typer

from bot import migrate
from bot.bootstrap import App, bootstrap
from bot.cli.common import console
from bot.delivery.part import make_part
from bot.logs import configure_logging
from bot.runner import Part
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
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await asyncio.gather(*(part(app, stop) for part in parts))
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
    """The reminder clock (exactly one per deployment): monthly reminders and nudges, in WIB."""
    from bot.scheduler import part

    console.print(_("Reminder clock started."))
    _serve([part])


def worker(
    lease_seconds: float = typer.Option(
        None, "--lease-seconds", min=1, help="How long a claimed message is held before another run may take it."
    ),
) -> None:
    """Outbox delivery at each channel's rate limits; safe to stop and start at any moment."""
    lease = timedelta(seconds=lease_seconds) if lease_seconds else None
    console.print(_("Delivery worker started."))
    _serve([make_part(lease)])


async def _web_only(app: App, stop: asyncio.Event) -> None:
    """No Telegram configured: the web app still serves (health check now, the dashboard later)."""
    import uvicorn

    from bot.web import create_web_app

    config = uvicorn.Config(
        create_web_app(app), host=app.settings.web_host, port=app.settings.web_port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # the runner owns SIGINT/SIGTERM and sets `stop`
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving


def web() -> None:
    """The web process: applies migrations, then the Telegram webhook (or polling) and the web app."""
    settings = Settings()
    configure_logging(settings)  # before the migrations, whose errors may quote the database URL
    migrate.upgrade(settings.database_url)
    if settings.telegram_bot_token is None:
        _serve([_web_only])
        return
    from bot.channels.telegram.runtime import part

    _serve([part])


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.command("clock")(clock)
    app.command("worker")(worker)
