"""The program file: defaults from PROGRAM.md, and every broken file refused with all its problems."""

import copy
import tomllib

import pytest

from services.problems import ProblemError
from services.program import DEFAULT_PROGRAM_FILE, load_program, parse_program


@pytest.fixture
def raw() -> dict:
    return tomllib.loads(DEFAULT_PROGRAM_FILE.read_text(encoding="utf-8"))


def codes(raw: dict) -> list[str]:
    with pytest.raises(ProblemError) as caught:
        parse_program(raw)
    return [p.code for p in caught.value.problems]


@pytest.mark.parametrize(
    ("jumlah_kk", "alokasi"),
    [(1, 50_000_000), (59, 50_000_000), (60, 70_000_000), (99, 70_000_000), (100, 100_000_000), (101, 100_000_000)],
)
def test_tier_boundaries(program, jumlah_kk, alokasi):
    assert program.allocation(jumlah_kk) == alokasi


def test_zero_kk_has_no_tier(program):
    with pytest.raises(ProblemError) as caught:
        program.allocation(0)
    assert caught.value.problems[0].code == "kk_out_of_range"


def test_unregistered_count_has_no_allocation(program):
    assert program.allocation(None) is None


def test_default_program_follows_the_announcement(program):
    assert [s.kode for s in program.stages][:2] == ["sosialisasi", "rembuk_warga"]
    assert program.kelompok["A"].mulai.month == 1 and program.kelompok["A"].selesai.month == 7
    assert program.kelompok["B"].mulai.month == 8 and program.kelompok["B"].selesai.month == 12
    proposal = program.stage("proposal")
    assert [m.month for m in proposal.months("A")] == [3]
    assert program.pengingat_bulanan.hari == 1 and program.pengingat_susulan.hari == 20
    assert len(program.bidang) == 4


def test_stage_outside_its_kelompok_window_is_refused(raw):
    raw["tahap"][1]["bulan"]["B"] = ["2026-07"]
    assert codes(raw) == ["program_stage_outside_window"]


@pytest.mark.parametrize("kode", ["laporan_pertanggungjawaban_kegiatan_akhir", "Rembuk Warga", "rembuk-warga"])
def test_stage_codes_are_short_and_plain(raw, kode):
    raw["tahap"][-1]["kode"] = kode  # it rides in button data, which Telegram caps at 64 bytes
    assert codes(raw) == ["program_bad_stage_kode"]


def test_stages_name_the_documents_they_take(program):
    assert program.stage("pembentukan_pokja").dokumen_nama == ("SK Pokja",)
    assert program.stage("sosialisasi").dokumen_nama == ()


@pytest.mark.parametrize("names", ["SK Pokja", [""], [3]])
def test_document_names_are_a_list_of_names(raw, names):
    raw["tahap"][2]["bukti"]["dokumen_nama"] = names
    assert codes(raw) == ["program_bad_document_names"]


def test_spending_fields_have_short_plain_keys(raw):
    raw["bidang"]["infrastruktur dan lingkungan permukiman warga"] = "Terlalu panjang"
    assert codes(raw) == ["program_bad_bidang"]


def test_overlapping_tiers_are_refused(raw):
    raw["tier"][1]["min_kk"] = 50
    assert "program_tier_overlap" in codes(raw)


def test_gap_between_tiers_is_refused(raw):
    raw["tier"][1]["max_kk"] = 95
    assert codes(raw) == ["program_tier_gap"]


def test_tiers_must_start_at_one_and_stay_open_at_the_top(raw):
    broken = copy.deepcopy(raw)
    broken["tier"][0]["min_kk"] = 10
    broken["tier"][2]["max_kk"] = 500
    assert sorted(codes(broken)) == ["program_tier_gap", "program_tier_open_end"]


def test_all_problems_are_reported_at_once(raw):
    raw["tahap"][0]["bulan"]["A"] = ["2026-13"]
    raw["tahap"][2]["setelah"] = ["lpj"]
    raw["kelompok"].pop("B")
    found = codes(raw)
    assert "program_bad_month" in found
    assert "program_unknown_prerequisite" in found
    assert "program_missing_kelompok" in found


def test_program_file_from_a_path(tmp_path, raw):
    path = tmp_path / "program.toml"
    path.write_text(
        DEFAULT_PROGRAM_FILE.read_text(encoding="utf-8").replace("alokasi = 70_000_000", "alokasi = 75_000_000")
    )
    assert load_program(path).allocation(80) == 75_000_000


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ProblemError) as missing:
        load_program(tmp_path / "missing.toml")
    assert missing.value.problems[0].code == "program_unreadable"
    bad = tmp_path / "bad.toml"
    bad.write_text("tahun = = 2026")
    with pytest.raises(ProblemError) as invalid:
        load_program(bad)
    assert invalid.value.problems[0].code == "program_not_toml"
