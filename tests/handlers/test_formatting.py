"""How an RT, a month range, a summary of counts and an example date are written (docs BAHASA.md §3–4)."""

from datetime import date

import pytest

from handlers.formatting import bulan_rentang, example_day, rt_nama, rt_nama_dari_kode, short_date, tanpa_nol
from handlers.i18n import use_locale


def test_an_rt_is_named_with_three_digits_and_kel():
    with use_locale("id"):
        assert rt_nama(1, "Simpang IV Sipin") == "RT 001 Kel. Simpang IV Sipin"
        assert rt_nama(12, "Buluran Kenali") == "RT 012 Kel. Buluran Kenali"
    with use_locale("en"):
        assert rt_nama(1, "Simpang IV Sipin") == "RT 001 of Simpang IV Sipin"


def test_the_same_name_comes_from_the_rts_code():
    with use_locale("id"):
        assert rt_nama_dari_kode("15.71.01.1001-001") == "RT 001 Kel. Simpang IV Sipin"
        assert rt_nama_dari_kode("15.71.01.1002-003") == "RT 003 Kel. Buluran Kenali"
        assert rt_nama_dari_kode("tanpa-nomor") == "tanpa-nomor"  # not a code: shown as it is


def test_month_ranges_write_the_year_once():
    with use_locale("id"):
        assert bulan_rentang(date(2026, 4, 1), date(2026, 5, 1)) == "April–Mei 2026"
        assert bulan_rentang(date(2026, 4, 1), date(2026, 4, 1)) == "April 2026"
        assert bulan_rentang(date(2026, 12, 1), date(2027, 1, 1)) == "Desember 2026–Januari 2027"
    with use_locale("en"):
        assert bulan_rentang(date(2026, 4, 1), date(2026, 5, 1)) == "April–May 2026"


def test_zero_counts_are_left_out():
    parts = [(0, "0 disetujui"), (1, "1 dikembalikan"), (0, "0 terlambat"), (1, "1 menunggu diperiksa")]
    assert tanpa_nol(parts) == "1 dikembalikan, 1 menunggu diperiksa"
    assert tanpa_nol([(0, "0 foto")]) == ""


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
