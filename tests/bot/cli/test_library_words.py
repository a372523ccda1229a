"""`--help` and Typer's own error framing in Indonesian, like the rest of the admin CLI."""

from typer.testing import CliRunner

from bot.cli.app import app


def _help(*args: str) -> str:
    result = CliRunner().invoke(
        app, [*args, "--help"], env={"COLUMNS": "200", "LANG": "en_US.UTF-8"}, prog_name="kampung-bahagia"
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_main_help_is_indonesian():
    text = _help()
    assert "Cara pakai: kampung-bahagia" in text
    assert "Program Kampung Bahagia — Kota Jambi." in text
    assert "Pilihan" in text and "Perintah" in text
    assert "Tampilkan bantuan ini lalu keluar." in text
    assert "Kode undangan." in text and "Jumlah alokasi per kategori, Kelompok dan kecamatan." in text
    for english in ("Usage:", "Options", "Commands", "Show this message and exit.", "Invitation codes."):
        assert english not in text
    assert "--install-completion" not in text


def test_a_command_help_is_indonesian():
    text = _help("invite", "create")
    assert "Buat undangan (kode hanya ditampilkan sekali dan disimpan dalam bentuk hash)." in text
    assert "Berapa hari kode berlaku." in text and "[bawaan: 30]" in text
    assert "Days until the code expires." not in text and "default" not in text


def test_a_refusal_is_said_without_english_around_it():
    result = CliRunner().invoke(
        app, ["invite", "create", "--rt", "x"], env={"COLUMNS": "200"}, prog_name="kampung-bahagia"
    )
    assert result.exit_code == 2
    assert "Isi --role (atau --for-person untuk orang yang sudah terdaftar)." in result.output
    assert (
        "Kesalahan" in result.output and "Coba 'kampung-bahagia invite create --help' untuk bantuan." in result.output
    )
    assert "Invalid value" not in result.output and "Error" not in result.output
