"""What every CLI command shares: the app, an async runner, and problems printed in Indonesian."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from bot.bootstrap import App, bootstrap
from handlers.i18n import use_locale
from handlers.problems import describe_row
from services.problems import ProblemError

T = TypeVar("T")


class Refused(typer.BadParameter):
    """What was typed cannot be used: our own words only, without Click's English "Invalid value:" before them."""

    def format_message(self) -> str:
        return self.message


console = Console()
errors = Console(stderr=True)


def run_with_app(work: Callable[[App], Awaitable[T]]) -> T:
    """Bootstrap, run `work`, close; a ProblemError becomes a readable list and exit code 1."""

    async def main() -> T:
        app = bootstrap()
        try:
            return await work(app)
        finally:
            await app.close()

    with use_locale("id"):
        try:
            return asyncio.run(main())
        except ProblemError as error:
            fail(error)


def fail(error: ProblemError) -> None:
    with use_locale("id"):
        for problem in error.problems:
            errors.print(f"[red]✗[/red] {describe_row(problem)}", highlight=False)
    raise typer.Exit(code=1)
