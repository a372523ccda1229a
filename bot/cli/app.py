"""The `kampung-bahagia` command."""

import typer

from bot.cli import broadcast, budget, chat, db, invite, processes, remind, roster, rt, run

app = typer.Typer(help="Program Kampung Bahagia — Kota Jambi.", no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(roster.app, name="roster")
app.add_typer(rt.app, name="rt")
app.add_typer(invite.app, name="invite")
budget.register(app)
run.register(app)
chat.register(app)
remind.register(app)
broadcast.register(app)
processes.register(app)


def main() -> None:
    app()
