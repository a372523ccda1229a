"""services/people.py: phone numbers as people write them."""

import pytest

from services.people import normalize_phone


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("0812-7300-1234", "+6281273001234"), ("+62 812 7300 1234", "+6281273001234"),
     ("(0812) 7300.1234", "+6281273001234"), ("٠٨١٢٧٣٠٠١٢٣٤", "+6281273001234"), ("0812²7300123", None),
     ("Dewi Lubis", None), ("0812", None), ("", None)],
)  # fmt: skip
def test_normalize_phone(typed: str, expected: str | None) -> None:
    assert normalize_phone(typed) == expected
