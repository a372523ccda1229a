"""handlers/parsing.py, table-driven: counts, rupiah amounts and dates the way Jambi residents type them."""

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.parsing import COUNT_UNITS, ParseError, parse_count, parse_date, parse_rupiah
from tests.services.test_numbers import ALL_DIGITS

TODAY = date(2026, 10, 15)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("70.000.000", 70_000_000),
        ("Rp 70.000.000", 70_000_000),
        ("Rp70.000.000", 70_000_000),
        ("rp. 70.000.000", 70_000_000),
        ("Rp70.000.000,-", 70_000_000),
        ("Rp 70.000.000,00", 70_000_000),  # as a bank statement writes it
        ("70.000.000.-", 70_000_000),
        ("70000000", 70_000_000),
        ("70,000,000", 70_000_000),
        ("70jt", 70_000_000),
        ("70 juta", 70_000_000),
        ("70 JT", 70_000_000),
        ("Rp 70 jt", 70_000_000),
        ("70 juta rupiah", 70_000_000),
        ("IDR 70.000.000", 70_000_000),
        ("70\u00a0juta", 70_000_000),  # a non-breaking space copied from a banking app
        (" 70.000.000 ", 70_000_000),
        ("1,5 juta", 1_500_000),
        ("1.5jt", 1_500_000),
        ("1,25 juta", 1_250_000),
        ("0,5 jt", 500_000),
        ("1.000 jt", 1_000_000_000),  # dots in groups of three separate thousands, unit or not
        ("250rb", 250_000),
        ("250 ribu", 250_000),
        ("2,5rb", 2_500),
        ("12.5k", 12_500),
        ("1 miliar", 1_000_000_000),
        ("Rp 1,5 jt", 1_500_000),  # a number with its unit is read as the number
        ("Rp1,5 juta", 1_500_000),
        ("1,5 jt.", 1_500_000),  # the full stop that ends the sentence
        ("0", 0),  # zero is a valid amount (no swadaya); flows that need more refuse it themselves
    ],
)
def test_parse_rupiah_accepts(typed, expected):
    assert parse_rupiah(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-70.000.000", "negative"),
        ("- 5", "negative"),
        ("Rp -70.000", "negative"),
        ("-70jt", "negative"),
        ("tujuh puluh juta", "not_an_amount"),
        ("minus", "not_an_amount"),
        ("", "not_an_amount"),
        ("   ", "not_an_amount"),
        ("Rp", "not_an_amount"),
        ("jt", "not_an_amount"),
        ("70 kambing", "not_an_amount"),
        ("70.00", "not_an_amount"),
        ("1.000,50", "not_an_amount"),
        ("1.234.567,89", "not_an_amount"),
        ("70.000.00", "not_an_amount"),
        ("😀", "not_an_amount"),
        ("'; DROP TABLE spending; --", "not_an_amount"),
    ],
)
def test_parse_rupiah_refuses(typed, code):
    with pytest.raises(ParseError) as error:
        parse_rupiah(typed)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("17 Agustus 2026", date(2026, 8, 17)),
        ("17 agustus 2026", date(2026, 8, 17)),
        ("  17   Agustus  2026 ", date(2026, 8, 17)),
        ("17 Agt 2026", date(2026, 8, 17)),
        ("17 agt. 2026", date(2026, 8, 17)),
        ("17 agt", date(2026, 8, 17)),
        ("17 August 2026", date(2026, 8, 17)),
        ("17/8/2026", date(2026, 8, 17)),
        ("17/08/2026", date(2026, 8, 17)),
        ("17-08-2026", date(2026, 8, 17)),
        ("17.08.2026", date(2026, 8, 17)),
        ("17/8/26", date(2026, 8, 17)),
        ("17/8", date(2026, 8, 17)),
        ("1 Mei 2026", date(2026, 5, 1)),
        ("9 Nopember 2025", date(2025, 11, 9)),
        ("hari ini", TODAY),
        ("Hari  Ini", TODAY),
        ("Kemarin", date(2026, 10, 14)),
        ("15/10/2026", TODAY),
    ],
)
def test_parse_date_accepts(typed, expected):
    assert parse_date(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("16/10/2026", "future_date"),
        ("1 Januari 2027", "future_date"),
        ("31/2/2026", "no_such_date"),
        ("0/8/2026", "no_such_date"),
        ("17/13/2026", "no_such_date"),
        ("17/8/999", "not_a_date"),  # three digits are a typo, not the year 999
        ("17/8/1", "not_a_date"),
        ("17 Agustusan 2026", "not_a_date"),
        ("besok", "not_a_date"),
        ("2026-08-17", "not_a_date"),
        ("", "not_a_date"),
        ("😀", "not_a_date"),
    ],
)
def test_parse_date_refuses(typed, code):
    with pytest.raises(ParseError) as error:
        parse_date(typed, TODAY)
    assert error.value.code == code


def test_dates_around_the_turn_of_the_year():
    assert parse_date("kemarin", date(2026, 1, 1)) == date(2025, 12, 31)
    assert parse_date("29/2/2024", date(2026, 1, 1)) == date(2024, 2, 29)


@pytest.mark.parametrize(("typed", "expected"), [("87", 87), ("87 KK", 87), (" 87kk ", 87), ("1.200", 1200)])
def test_parse_count_accepts(typed, expected):
    assert parse_count(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("45 orang", 45), ("45 Orang.", 45), ("45 KK", 45), ("45kk", 45), ("45 org", 45), ("45  jiwa", 45),
     ("30 kepala keluarga", 30), ("1.200 orang", 1200), ("12 unit", 12)],
)  # fmt: skip
def test_parse_count_reads_a_number_with_its_unit(typed, expected):
    assert parse_count(typed, COUNT_UNITS) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [("orang", "not_a_number"), ("45 ekor", "not_a_number"), ("45 orang orang", "not_a_number"),
     ("4,5 orang", "fraction"), ("-45 orang", "negative")],
)  # fmt: skip
def test_parse_count_with_units_still_refuses(typed, code):
    with pytest.raises(ParseError) as error:
        parse_count(typed, COUNT_UNITS)
    assert error.value.code == code


def test_a_kk_count_does_not_take_people():
    with pytest.raises(ParseError):
        parse_count("87 orang")


@pytest.mark.parametrize(
    ("typed", "code"), [("-5", "negative"), ("8,5", "fraction"), ("delapan", "not_a_number"), ("", "not_a_number")]
)
def test_parse_count_refuses(typed, code):
    with pytest.raises(ParseError) as error:
        parse_count(typed)
    assert error.value.code == code


# Any digit character Unicode has, mixed with what people type around numbers: the parsers answer with a value or
# a ParseError, never another exception (`²` passes str.isdigit() and crashed int()).
typed_with_digits = st.text(
    alphabet=st.one_of(st.sampled_from(ALL_DIGITS), st.sampled_from(list("0123456789 .,/-rpjutaRbk"))), max_size=40
)


@given(typed_with_digits)
def test_parsers_answer_any_digits_with_a_value_or_a_reason(typed: str) -> None:
    for parse in (parse_count, parse_rupiah, lambda text: parse_date(text, TODAY)):
        with contextlib.suppress(ParseError):
            parse(typed)


@pytest.mark.parametrize(
    ("typed", "count", "amount", "day"),
    [("٨٧", 87, 87, None), ("８７ KK", 87, None, None), ("Rp ٧٠ juta", None, 70_000_000, None),
     ("١٧/٨/٢٠٢٦", None, None, date(2026, 8, 17))],
)  # fmt: skip
def test_decimal_digits_of_other_scripts_read_as_ours(typed, count, amount, day):
    if count is not None:
        assert parse_count(typed) == count
    if amount is not None:
        assert parse_rupiah(typed) == amount
    if day is not None:
        assert parse_date(typed, TODAY) == day


@pytest.mark.parametrize("typed", ["²", "8²", "①", "½", "Ⅻ", "二十"])
def test_digits_that_are_not_decimal_are_not_numbers(typed):
    for parse in (parse_count, parse_rupiah, lambda text: parse_date(text, TODAY)):
        with pytest.raises(ParseError):
            parse(typed)
