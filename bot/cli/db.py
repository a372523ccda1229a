"""`kampung-bahagia db ...`"""

import typer

from bot import migrate
from bot.cli.common import console
from bot.settings import Settings
from handlers.i18n import _

app = typer.Typer(help=_("Database schema."), no_args_is_help=True)


@app.command("upgrade", help=_("Apply migrations up to REVISION (default: the newest)."))
def upgrade(revision: str = typer.Argument("head")) -> None:
    settings = Settings()
    migrate.upgrade(settings.database_url, revision)
    console.print(_("Database is up to date ({revision}).", revision=revision))
