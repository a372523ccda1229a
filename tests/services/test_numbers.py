"""services/numbers.py: one reader of digits, over every digit character Unicode has."""

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import numbers

# Every character Python calls a digit or numeric: decimal digits of every script, and the traps (`²`, `①`, `½`, `Ⅻ`,
# CJK numerals) that `str.isdigit()` or `str.isnumeric()` accept and `int()` refuses.
ALL_DIGITS = [ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isdigit() or ch.isnumeric()]
DECIMALS = [ch for ch in ALL_DIGITS if unicodedata.decimal(ch, None) is not None]
NOT_DECIMALS = [ch for ch in ALL_DIGITS if unicodedata.decimal(ch, None) is None]
digit_texts = st.text(alphabet=st.sampled_from(ALL_DIGITS), min_size=1, max_size=40)


def test_the_table_holds_both_kinds() -> None:
    assert "²" in NOT_DECIMALS and "٣" in DECIMALS and "７" in DECIMALS
    assert len(DECIMALS) > 600 and len(NOT_DECIMALS) > 600


@given(digit_texts)
def test_any_digits_give_a_number_or_none_never_an_error(text: str) -> None:
    value = numbers.whole_number(text)
    if all(ch in DECIMALS for ch in text) and len(text) <= numbers.MAX_DIGITS:
        assert value == int("".join(str(unicodedata.decimal(ch)) for ch in text))
    else:
        assert value is None


@given(st.text(alphabet=st.sampled_from(DECIMALS), min_size=1, max_size=6))
def test_decimal_digits_of_any_script_read_as_their_value(text: str) -> None:
    assert numbers.whole_number(text) == int(text)  # int() itself reads every script's decimal digits


@given(st.sampled_from(NOT_DECIMALS), st.text(alphabet="0123456789", max_size=5))
def test_a_digit_that_is_not_decimal_makes_it_not_a_number(trap: str, digits: str) -> None:
    assert numbers.whole_number(digits + trap) is None
    assert numbers.record_id(trap + digits) is None
    assert numbers.position(trap, 9) is None
    assert numbers.index(digits + trap, 9) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("87", 87), (" 87 ", 87), ("٨٧", 87), ("８７", 87), ("-1", None), ("+1", None), ("1 2", None), ("1.000", None),
     ("", None), ("²", None), ("1e9", None), ("9" * 31, None), ("9" * 30, int("9" * 30))],
)  # fmt: skip
def test_whole_numbers(text: str, expected: int | None) -> None:
    assert numbers.whole_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("2147483647", 2147483647), ("2147483648", None), ("0", None), ("99999999999999999999", None)],
)
def test_record_ids_fit_a_postgresql_integer(text: str, expected: int | None) -> None:
    assert numbers.record_id(text) == expected


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [("1", 3, 0), ("3.", 3, 2), ("٣", 3, 2), ("0", 3, None), ("4", 3, None), ("1", 0, None)],
)
def test_positions_in_a_numbered_list(text: str, count: int, expected: int | None) -> None:
    assert numbers.position(text, count) == expected


def test_ascii_digits_leaves_everything_else_alone() -> None:
    assert numbers.ascii_digits("Rp ٧٠ juta, 17/٨/２０２６ ²") == "Rp 70 juta, 17/8/2026 ²"
