"""The `kampung-bahagia` command."""

import typer

from bot.cli import (
    backup,
    broadcast,
    budget,
    chat,
    db,
    invite,
    library_words,
    media,
    processes,
    remind,
    roster,
    rt,
    run,
    web_login,
    whatsapp,
)
from bot.logs import install_redaction
from bot.settings import Settings
from handlers.i18n import _

library_words.install()
# No --install-completion / --show-completion: Typer words their help in English only, and operators type few
# commands.
app = typer.Typer(
    help=_("Kampung Bahagia Program — Jambi City."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _no_secret_in_any_line() -> None:
    """Every command, not only the long-running ones: a warning printed by `invite create` (a Bot API error quoting
    the token in its URL) is masked like the service's log."""
    try:
        install_redaction(Settings())
    except Exception:  # bad settings: the command itself says what is wrong, in its own words
        return


app.add_typer(db.app, name="db")
app.add_typer(roster.app, name="roster")
app.add_typer(rt.app, name="rt")
app.add_typer(invite.app, name="invite")
app.add_typer(whatsapp.app, name="whatsapp")
app.add_typer(media.app, name="media")
budget.register(app)
run.register(app)
chat.register(app)
remind.register(app)
broadcast.register(app)
processes.register(app)
backup.register(app)
web_login.register(app)


def main() -> None:
    app()
