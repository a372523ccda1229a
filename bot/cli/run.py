"""`kampung-bahagia run`: everything in one process for one machine."""

import asyncio

import typer

from bot.cli.chat import console_offer
from bot.cli.common import console
from bot.cli.operator_texts import OperatorTexts, safe_url
from bot.logs import configure_logging
from bot.runner import serve
from bot.settings import Settings
from handlers.formatting import waktu
from handlers.i18n import _, use_locale
from handlers.problems import describe_row
from services.problems import ProblemError


def _describe_configuration(settings: Settings) -> list[str]:
    default_program = _("built-in default")
    lines = [
        _("Database: {url}", url=safe_url(settings.database_url)),
        _("Media folder: {path}", path=str(settings.media_dir)),
        _("Program file: {path}", path=str(settings.program_file or default_program)),
    ]
    if settings.telegram_bot_token is None:
        lines.append(_("Telegram: not configured (set TELEGRAM_BOT_TOKEN)."))
    elif settings.telegram_webhook_url:
        lines.append(_("Telegram: webhook at {url}", url=settings.telegram_webhook_url))
    else:
        lines.append(_("Telegram: long polling."))
    if settings.telegram_bot_token is not None and settings.telegram_api_url:
        lines.append(_("Telegram Bot API server: {url}", url=settings.telegram_api_url))
    lines.append(_whatsapp_line(settings))
    if settings.simulated_start is not None:
        moment = waktu(settings.simulated_start)
        lines.append(
            _("SIMULATION: the program's time starts at {moment} (SIMULATED_START). Training only.", moment=moment)
        )
    return lines


def _whatsapp_line(settings: Settings) -> str:
    if not settings.whatsapp_on:
        return _("WhatsApp: not configured (set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID).")
    return _(
        "WhatsApp: on (phone number id {id}), webhook at /webhook/whatsapp; at most {limit} people a day "
        "outside their 24-hour window (WHATSAPP_DAILY_LIMIT).",
        id=settings.whatsapp_phone_number_id,
        limit=settings.whatsapp_daily_limit,
    )


def run() -> None:
    settings = Settings()
    configure_logging(settings)
    with use_locale("id"):
        for line in _describe_configuration(settings):
            console.print(line, highlight=False)
        try:
            from bot import scheduler
            from bot.channels.registry import part as channels_part
            from bot.delivery.part import part as delivery_part

            parts = [*console_offer(settings), scheduler.part, delivery_part, channels_part]
            asyncio.run(serve(settings, parts=parts, say=console.print, texts=OperatorTexts()))
        except ProblemError as error:
            for problem in error.problems:
                console.print(f"[red]✗[/red] {describe_row(problem)}", highlight=False)
            raise typer.Exit(1) from error
        except KeyboardInterrupt:
            pass
        console.print(_("Stopped."))


def register(app: typer.Typer) -> None:
    app.command("run", help=_("Apply migrations and run the bot until Ctrl-C."))(run)
