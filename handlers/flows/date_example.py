"""The date shown in "for example …" of a date question: computed from today, so it is always one the question
accepts (a fixed "17/2/2026" is in the future in January and before the program in another year)."""

from datetime import date

from handlers.context import Context
from handlers.formatting import example_day, short_date, tanggal


def example(ctx: Context) -> date:
    return example_day(ctx.today, date(ctx.program.tahun, 1, 1))


def typed(ctx: Context) -> str:
    """`12/2/2026`"""
    return short_date(example(ctx))


def written(ctx: Context) -> str:
    """`12 Februari 2026`"""
    return tanggal(example(ctx))
