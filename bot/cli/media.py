"""`kampung-bahagia media sweep [--dry-run]`"""

import typer

from bot.bootstrap import App
from bot.cli.common import console, run_with_app
from bot.scheduler import sweep_media
from handlers.formatting import number
from handlers.i18n import _
from services.media_sweep import SweepResult

app = typer.Typer(help=_("Photos and documents in MEDIA_DIR."), no_args_is_help=True)


@app.command(
    "sweep",
    help=_("Remove temporary files and files no database row names, older than a day (the clock does it daily)."),
)
def sweep(dry_run: bool = typer.Option(False, "--dry-run", help=_("Only list what would be removed."))) -> None:
    async def work(app_: App) -> SweepResult:
        return await sweep_media(app_, dry_run=dry_run)

    result = run_with_app(work)
    for name in result.removed:
        console.print(f"  {name}", highlight=False, soft_wrap=True)
    template = (
        _("{count} files ({size} bytes) would be removed.") if dry_run else _("{count} files ({size} bytes) removed.")
    )
    console.print(
        template.format(count=number(len(result.removed)), size=number(result.bytes)), highlight=False, soft_wrap=True
    )
