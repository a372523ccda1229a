"""How amounts, dates, times and RTs are shown: `Rp70.000.000`, `17 Agustus 2026`, `08.00 WIB`, `April–Mei 2026`,
`RT 001 Kel. Simpang IV Sipin` (docs BAHASA.md §3–4)."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from handlers.i18n import _, current_locale
from services.wib import WIB
from services.wilayah import read_wilayah


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


def bulan_rentang(first: date, last: date) -> str:
    """`April–Mei 2026`: the year once, an unspaced dash; `Desember 2026–Januari 2027` across a year."""
    if (first.year, first.month) == (last.year, last.month):
        return bulan(first)
    if first.year == last.year:
        return f"{format_date(first, 'MMMM', locale=current_locale())}–{bulan(last)}"
    return f"{bulan(first)}–{bulan(last)}"


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


@cache
def _kelurahan_names() -> dict[str, str]:
    return {row["kode_kelurahan"]: row["kelurahan"] for row in read_wilayah()}


def rt_nama(nomor: int, kelurahan: str) -> str:
    """The one way a message names an RT: `RT 001 Kel. Simpang IV Sipin` (three digits, as on the KK card)."""
    padded = f"{nomor:03d}"
    return _("RT {nomor} of {kelurahan}", nomor=padded, kelurahan=kelurahan)


def rt_nama_dari_kode(kode: str) -> str:
    """The same name from the RT's code `15.71.01.1001-001`, for texts that only carry the code (reminders)."""
    kelurahan_kode, _dash, nomor = kode.rpartition("-")
    if not nomor.isdigit():
        return kode
    return rt_nama(int(nomor), _kelurahan_names().get(kelurahan_kode, kelurahan_kode))


def tanpa_nol(parts: Iterable[tuple[int, str]], separator: str = ", ") -> str:
    """Join the texts whose count is not zero: "1 dikembalikan, 1 menunggu diperiksa", never "0 disetujui"."""
    return separator.join(text for count, text in parts if count)
