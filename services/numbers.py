"""Digits as people's keyboards write them: the one reader for every number typed, pressed on a button or imported.

`str.isdigit()` says yes to `²`, `①` and `𝟠`, which `int()` refuses (or reads as something else): a check and a
conversion that disagree crash on odd input. Here a digit is a *decimal* digit of any script — `7`, Arabic-Indic
`٧`, Devanagari `७`, fullwidth `７` — read as its value; any other character makes the text not a number.
"""

import unicodedata

# Ids of our rows are PostgreSQL `integer`s: a bigger number from a forged button must never reach a query.
MAX_ID = 2**31 - 1
# Past this, no number anyone types for this program means anything (and `int()` refuses over 4,300 digits).
MAX_DIGITS = 30


def ascii_digits(text: str) -> str:
    """The text with every decimal digit of any script written as its ASCII digit; everything else unchanged."""
    if text.isascii():
        return text
    return "".join(str(value) if (value := unicodedata.decimal(ch, None)) is not None else ch for ch in text)


def whole_number(text: str, *, maximum: int | None = None) -> int | None:
    """`87`, ` 87 `, `٨٧` → 87; None for anything else: signs, spaces or separators inside, `²`, `½`, too large."""
    digits = ascii_digits(text.strip())
    if not digits or len(digits) > MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    if maximum is not None and value > maximum:
        return None
    return value


def record_id(text: str) -> int | None:
    """A row id carried by a button (`act:ok:42`): 1 up to PostgreSQL's integer, else None."""
    value = whole_number(text, maximum=MAX_ID)
    return value if value else None


def position(text: str, count: int) -> int | None:
    """A typed place in a numbered list of `count` options (1 is the first), as a 0-based index; else None."""
    value = whole_number(text.rstrip("."))
    if value is None or not 1 <= value <= count:
        return None
    return value - 1


def index(text: str, count: int) -> int | None:
    """A 0-based index carried by a button (`p:2:0`) among `count` options; else None."""
    value = whole_number(text)
    return value if value is not None and value < count else None
