"""services/visible_text.py: what one person typed, shown to another without invisible disguises."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.visible_text import KEEP, visible, visible_name

INVISIBLE = ("Cc", "Cf", "Cs")


@given(st.text(alphabet=st.characters(codec=None), max_size=200))
def test_nothing_invisible_survives_and_everything_else_does(text: str) -> None:
    shown = visible(text)
    assert all(ch in KEEP or unicodedata.category(ch) not in INVISIBLE for ch in shown)
    expected = [ch for ch in text if unicodedata.category(ch) not in INVISIBLE or ch in KEEP]
    line_breaks = "\n\r\u2028\u2029"  # each kind of line break is shown as "\n"
    assert [ch for ch in shown if ch != "\n"] == [ch for ch in expected if ch not in line_breaks]
    assert visible(shown) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("\u202eNIMDA", "NIMDA"), ("Budi\u200b Santoso", "Budi Santoso"), ("a\x00b\x07c", "abc"),
     ("baris 1\r\nbaris 2\rbaris 3\u2028baris 4", "baris 1\nbaris 2\nbaris 3\nbaris 4"),
     ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
     ("\ufeffRapat", "Rapat"), ("\ud800x", "x"), ("Rapat warga\tpukul 08.00", "Rapat warga\tpukul 08.00")],
)  # fmt: skip
def test_visible(typed: str, shown: str) -> None:
    assert visible(typed) == shown


@pytest.mark.parametrize(
    ("name", "shown"),
    [("\u202eNIMDA", "NIMDA"), ("  Siti\n Aminah ", "Siti Aminah"), ("\u202e\u200f", None), (None, None)],
)
def test_visible_name(name: str | None, shown: str | None) -> None:
    assert visible_name(name) == shown
