"""How amounts, dates and times are shown: `Rp70.000.000`, `17 Agustus 2026`, `08.00 WIB`."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from handlers.i18n import current_locale

WIB = ZoneInfo("Asia/Jakarta")


def rupiah(amount: int) -> str:
    # Always the Indonesian grouping (dots), whatever the interface language: it is how the money is written.
    return "Rp" + format_decimal(amount, locale="id")


def number(value: int) -> str:
    return format_decimal(value, locale="id")


def tanggal(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(WIB).date()
    return format_date(value, "d MMMM y", locale=current_locale())


def bulan(value: date) -> str:
    return format_date(value, "MMMM y", locale=current_locale())


def waktu(value: datetime) -> str:
    local = value.astimezone(WIB)
    return f"{tanggal(local)} {format_time(local, 'HH.mm', locale='id')} WIB"


def example_day(today: date, earliest: date) -> date:
    """A day to show in "for example …": a few days back (events are reported after they happen), never before
    the first day the question accepts, never in the future: an example the person copies must be accepted."""
    return max(today - timedelta(days=3), min(earliest, today))


def short_date(value: date) -> str:
    """`17/8/2026`: how dates are typed on a phone."""
    return f"{value.day}/{value.month}/{value.year}"
