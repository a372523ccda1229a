"""The demo roster: deterministic, over the 68 real kelurahan, every tier present."""

from collections import Counter

from services.demo import demo_roster
from services.program import load_program


def test_demo_is_deterministic_and_plausible():
    rows = demo_roster()
    assert rows == demo_roster()
    assert rows != demo_roster(seed=7)
    assert len(rows) == 1583
    assert len({row["kode_kelurahan"] for row in rows}) == 68
    assert sum(row["pilot_2025"] == "ya" for row in rows) == 67
    kelompok = Counter(row["kelompok"] for row in rows)
    assert set(kelompok) == {"A", "B"} and min(kelompok.values()) > 600
    program = load_program()
    tiers = Counter(program.tier_for(int(row["jumlah_kk"])).nama for row in rows if row["jumlah_kk"])
    assert set(tiers) == {"kecil", "sedang", "besar"}
    assert 2 <= len({row["pendamping"] for row in rows}) <= 100


def test_demo_size_is_configurable():
    assert len(demo_roster(rts=10)) == 10
