"""The one reader of "when did it happen?" (a stage's activity, funds received, a purchase, a correction): the
Today / Yesterday buttons (or those words typed), or a typed date — never in the future, never before the program's
year. Each refusal says how to type it, with an example that the question accepts today."""

from datetime import date, timedelta

from handlers.context import Context
from handlers.flows import date_example
from handlers.flows.ketua_common import picked
from handlers.i18n import _
from handlers.messages import Choice, Incoming, Kind
from handlers.parsing import ParseError, parse_date

TODAY, YESTERDAY = "today", "yesterday"
# Typed as well as pressed: on numbered-text channels and for people who do not see the buttons.
WORDS = {TODAY: ("hari ini", "today"), YESTERDAY: ("kemarin", "yesterday")}


def choices() -> tuple[Choice, ...]:
    return (Choice(TODAY, _("Today")), Choice(YESTERDAY, _("Yesterday")))


def read(ctx: Context, incoming: Incoming) -> tuple[date | None, str | None]:
    """(the date, None), or (None, why it cannot be used and how to type it)."""
    pressed = picked(incoming, WORDS)
    if pressed is not None:
        return (ctx.today if pressed == TODAY else ctx.today - timedelta(days=1)), None
    if incoming.kind != Kind.TEXT or not incoming.text.strip():
        return None, _(
            "Please press Today or Yesterday, or type the date, for example {date}.", date=date_example.typed(ctx)
        )
    try:
        value = parse_date(incoming.text, ctx.today)
    except ParseError as error:
        if error.code == "future_date":
            return None, _("That date has not come yet. Please type the day it happened.")
        if error.code == "no_such_date":
            return None, _("That date does not exist. Please check the day and the month.")
        return None, _(
            "I could not read that date. Type it like {typed} or {written}.",
            typed=date_example.typed(ctx),
            written=date_example.written(ctx),
        )
    if value.year < ctx.program.tahun:
        return None, _("That date is before the {year} program started. Please check the year.", year=ctx.program.tahun)
    return value, None
