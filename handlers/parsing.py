"""Reading what people type: KK counts, rupiah amounts and dates, the ways Jambi residents write them.

Each parser returns a value or raises `ParseError` with a short code the flow turns into a sentence.
"""

import re
from datetime import date

from services.numbers import ascii_digits

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
    "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
    "nopember": 11, "desember": 12, "des": 12, "dec": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "october": 10,
    "december": 12,
}  # fmt: skip
# Far above any sum of this program, and within what Babel formats exactly (28 significant digits): a longer
# number is a slip of the finger, and must not reach the formatting of "too large" messages.
MAX_RUPIAH = 10**15
MULTIPLIERS = {"jt": 1_000_000, "juta": 1_000_000, "rb": 1_000, "ribu": 1_000, "k": 1_000, "m": 1_000_000_000,
               "miliar": 1_000_000_000, "milyar": 1_000_000_000}  # fmt: skip


# Words people write after a count ("45 orang", "45 KK", "12 unit"): the number is what is asked, the word is not.
COUNT_UNITS = ("kepala keluarga", "orang", "org", "jiwa", "warga", "peserta", "kk", "rumah", "unit", "buah", "bh")


class ParseError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_count(text: str, unit_words: tuple[str, ...] = ("kk", "kepala keluarga")) -> int:
    """`87`, `87 KK`, ` 87 `, `87kk` → 87 (`45 orang` too with `COUNT_UNITS`). Refuses words, fractions and
    negatives with a reason code. One unit word at the end is dropped, and only one: `87 kk kk` is not a count."""
    cleaned = " ".join(ascii_digits(text).lower().split()).rstrip(".")
    for word in unit_words:
        if cleaned.endswith(word) and cleaned != word:
            cleaned = cleaned.removesuffix(word).strip()
            break
    cleaned = cleaned.replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned) else cleaned
    if re.fullmatch(r"-\s*\d+", cleaned):
        raise ParseError("negative")
    if re.fullmatch(r"\d+[.,]\d+", cleaned):
        raise ParseError("fraction")
    if not re.fullmatch(r"\d{1,7}", cleaned):
        raise ParseError("not_a_number")
    return int(cleaned)


def parse_rupiah(text: str) -> int:
    """`70.000.000`, `Rp 70.000.000`, `Rp70.000.000,-`, `70jt`, `70 juta`, `Rp 70 jt`, `1,5 juta` → rupiah."""
    amount = _rupiah(text)
    if amount > MAX_RUPIAH:
        raise ParseError("too_large")
    return amount


def _rupiah(text: str) -> int:
    # Any whitespace, not only spaces: amounts copied from a bank app often carry non-breaking spaces.
    cleaned = re.sub(r"\s+", "", ascii_digits(text).lower())
    cleaned = cleaned.replace("rp.", "").replace("rp", "").replace("idr", "").replace(",-", "")
    cleaned = cleaned.removesuffix("rupiah").removesuffix(".-").removesuffix("-")
    # A sentence's full stop after the unit: `1,5 jt.` is 1,5 juta.
    cleaned = re.sub(r"(?<=[a-z])\.$", "", cleaned)
    # Bank statements write cents: `70.000.000,00` is seventy million, not a decimal.
    cleaned = re.sub(r"(?<=\d),00?$", "", cleaned)
    if cleaned.startswith("-"):
        raise ParseError("negative")
    match = re.fullmatch(r"(\d+(?:[.,]\d+)*)([a-z]*)", cleaned)
    if not match:
        raise ParseError("not_an_amount")
    number, unit = match.groups()
    if unit and unit not in MULTIPLIERS:
        raise ParseError("not_an_amount")
    multiplier = MULTIPLIERS.get(unit, 1)
    if multiplier == 1:
        # Without a unit, dots and commas are thousands separators (70.000.000); decimals make no sense.
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", number):
            return int(re.sub(r"[.,]", "", number))
        if number.isdigit():
            return int(number)
        raise ParseError("not_an_amount")
    # With a unit, dots in groups of three still separate thousands (1.500 jt = 1.500.000.000), while a comma (or
    # a lone dot with one or two digits) is a decimal mark: 1,5 juta = 1.500.000.
    if re.fullmatch(r"\d+", number) or re.fullmatch(r"\d{1,3}(\.\d{3})+", number):
        return int(number.replace(".", "")) * multiplier
    if re.fullmatch(r"\d+[.,]\d{1,3}", number):
        whole, fraction = re.split(r"[.,]", number)
        return int(whole) * multiplier + int(fraction.ljust(3, "0")[:3]) * multiplier // 1000
    raise ParseError("not_an_amount")


def parse_date(text: str, today: date) -> date:
    """`17 Agustus 2026`, `17 agt`, `17/8/2026`, `17-08-2026`, `17/8`, `hari ini`, `kemarin` → a date.

    A date without a year takes this year. Dates in the future are refused (an event is reported after it happened).
    """
    cleaned = " ".join(ascii_digits(text).lower().split())
    if cleaned in ("hari ini", "today", "sekarang"):
        return today
    if cleaned in ("kemarin", "yesterday"):
        return date.fromordinal(today.toordinal() - 1)
    # A year has two or four digits: `17/8/999` is a typo, not the year 999.
    numeric = re.fullmatch(r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{4}|\d{2}))?", cleaned)
    worded = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{4}|\d{2}))?", cleaned)
    if numeric:
        day, month, year = numeric.groups()
        month_number = int(month)
    elif worded:
        day, month_word, year = worded.groups()
        if month_word not in MONTHS:
            raise ParseError("not_a_date")
        month_number = MONTHS[month_word]
    else:
        raise ParseError("not_a_date")
    year_number = today.year if year is None else int(year)
    if year_number < 100:
        year_number += 2000
    try:
        value = date(year_number, month_number, int(day))
    except ValueError as error:
        raise ParseError("no_such_date") from error
    if value > today:
        raise ParseError("future_date")
    return value
