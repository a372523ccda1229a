"""services/whatsapp_templates.py: the shipped file is valid and complete; a broken one is refused with every
problem at once, each in words an admin can act on."""

import tomllib
from pathlib import Path

import pytest

from handlers.i18n import use_locale
from handlers.problems import describe_row
from services.problems import ProblemError
from services.whatsapp_templates import (
    DEFAULT_TEMPLATES_FILE,
    PURPOSES,
    load_templates,
    parse_templates,
    shipped_templates,
)


def shipped() -> dict:
    return tomllib.loads(DEFAULT_TEMPLATES_FILE.read_text(encoding="utf-8"))


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ProblemError) as refused:
        parse_templates(raw)
    with use_locale("en"):
        return [describe_row(p) for p in refused.value.problems]


def test_the_shipped_file_has_every_purpose_in_indonesian_with_buttons_that_open_commands() -> None:
    templates = shipped_templates()
    assert [t.purpose for t in templates.templates] == list(PURPOSES)
    reminder = templates.for_purpose("pengingat_bulanan")
    assert (reminder.name, reminder.language, reminder.category) == ("kb_pengingat_bulanan", "id", "utility")
    assert [(b.title, b.opens) for b in reminder.buttons] == [("Lapor sekarang", "lapor"), ("Lihat jadwal", "jadwal")]
    assert reminder.example().startswith("Bapak/Ibu Budi Santoso, ini pengingat Mei 2026 untuk RT 001 Kel. Simpang")
    for template in templates.templates:
        text = template.example()
        assert "{{" not in text and "Anda" not in text and len(text.splitlines()) <= 8
        # The next step last: the last line tells which button to press.
        assert text.splitlines()[-1].startswith("Tekan ")
        assert all(b.title in text.splitlines()[-1] for b in template.buttons)
    with pytest.raises(KeyError):
        templates.for_purpose("promosi")


def test_filled_needs_exactly_one_value_per_parameter() -> None:
    opener = shipped_templates().for_purpose("buka_percakapan")
    assert opener.filled(("Siti", "RT 002 Kel. Simpang IV Sipin")).startswith("Bapak/Ibu Siti, ada pesan baru")
    with pytest.raises(ValueError, match="takes 2 parameters"):
        opener.filled(("Siti",))


def test_every_problem_is_listed_at_once() -> None:
    raw = shipped()
    first, second, third = raw["template"][:3]
    first["body"] = "Bapak/Ibu {{1}}, " + "panjang sekali " * 70 + "{{2}} dan {{4}} untuk {{3}} selesai."
    second["purpose"] = "promosi"
    second["button"][0]["title"] = "Catat dana masuk sekarang juga"
    third["parameter"].append({"arti": "lebih", "contoh": "satu\ndua"})
    problems = problems_of(raw)
    assert problems == [
        "template[1].body: the body is 1103 characters; Meta takes at most 1024.",
        "template[2].purpose: 'promosi' is not a purpose the bot sends templates for "
        "(pengingat_bulanan, pengingat_bendahara, pengingat_susulan, pemberitahuan, buka_percakapan).",
        "template[2].button[1].title: the button title 'Catat dana masuk sekarang juga' has 30 characters; at most 20.",
        "template[3].parameter[4].contoh: an example must be one line: a parameter cannot hold a line break.",
        "template[3].body: the body has 3 parameters but 4 [[template.parameter]] entries.",
        "template: no template for the purpose pengingat_bendahara.",
    ]


def test_a_gap_in_the_parameter_numbers_is_refused() -> None:
    raw = shipped()
    raw["template"][0]["body"] = "Bapak/Ibu {{1}}, pengingat {{2}} untuk {{4}}: {{5}}. Tekan Lapor sekarang."
    raw["template"][1]["body"] = "{{1}} pengingat {{ nama }} untuk {{2}}"
    gap = "parameters must be numbered {{1}}, {{2}}, … without a gap"
    assert problems_of(raw) == [
        f"template[1].body: {gap} (found: {{{{1}}}}, {{{{2}}}}, {{{{4}}}}, {{{{5}}}}).",
        f"template[2].body: {gap} (found: {{{{1}}}}, {{{{nama}}}}, {{{{2}}}}).",
        "template[2].body: the body must not start or end with a parameter (Meta refuses it).",
    ]


def test_names_categories_duplicates_and_commands_follow_metas_rules() -> None:
    raw = shipped()
    raw["template"][0].update(name="KB Pengingat", category="marketing", language="Indonesia")
    raw["template"][1]["name"] = raw["template"][2]["name"]
    raw["template"][3]["button"] = [{"title": "Buka", "opens": "/menu"}] * 4
    assert problems_of(raw) == [
        "template[1].name: 'KB Pengingat' is not a template name Meta accepts (lower case letters, digits and _).",
        "template[1].language: 'Indonesia' is not a language code such as id or en_US.",
        "template[1].category: 'marketing' is not an allowed category (utility).",
        "template[4].button: 4 buttons; at most 3 quick replies.",
        "template[4].button[1].opens: '/menu' is not a command a button can open (like lapor, without the slash).",
        "template[4].button[2].opens: '/menu' is not a command a button can open (like lapor, without the slash).",
        "template[4].button[2].title: the title 'Buka' is used twice.",
        "template[4].button[3].opens: '/menu' is not a command a button can open (like lapor, without the slash).",
        "template[4].button[3].title: the title 'Buka' is used twice.",
        "template[4].button[4].opens: '/menu' is not a command a button can open (like lapor, without the slash).",
        "template[4].button[4].title: the title 'Buka' is used twice.",
        "template: the name 'kb_pengingat_susulan' is used twice.",
    ]


def test_an_empty_file_and_a_missing_file_say_so(tmp_path: Path) -> None:
    assert problems_of({}) == ["template: there are no templates ([[template]] tables)."]
    with pytest.raises(ProblemError) as refused:
        load_templates(tmp_path / "nope.toml")
    assert refused.value.problems[0].code == "wa_templates_unreadable"
    broken = tmp_path / "broken.toml"
    broken.write_text("[[template]\n")
    with pytest.raises(ProblemError) as refused:
        load_templates(broken)
    assert refused.value.problems[0].code == "wa_templates_not_toml"
