"""handlers/formatting.py: the example dates of date questions are days the question accepts."""

from datetime import date

import pytest

from handlers.formatting import example_day, short_date

PROGRAM_START = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 2, 10), date(2026, 2, 7)),  # a few days back: the event has happened
        (date(2026, 1, 2), date(2026, 1, 1)),  # never before the program year
        (date(2025, 12, 20), date(2025, 12, 20)),  # before the program starts: today, as near as it gets
        (date(2026, 3, 1), date(2026, 2, 26)),
    ],
)
def test_example_day_is_past_and_within_the_program(today, expected):
    day = example_day(today, PROGRAM_START)
    assert day == expected and day <= today


def test_short_date_is_how_a_phone_types_it():
    assert short_date(date(2026, 2, 7)) == "7/2/2026"
