"""Every message in the code has an Indonesian translation, with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from handlers.i18n import translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{(\w+)[^}]*}")


def code_messages() -> set[str]:
    messages = set()
    for folder in ("bot", "handlers"):
        # The same mapping as `make extract` (babel.cfg): Python, and the dashboard's templates.
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            options_map={"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
        ):
            messages.update([message] if isinstance(message, str) else message)
    return {m for m in messages if m}


def test_there_are_messages():
    assert len(code_messages()) > 100


def test_every_message_has_an_indonesian_translation():
    catalog = translations("id")
    missing = sorted(m for m in code_messages() if catalog.gettext(m) == m and not m.startswith("/"))
    # A handful of messages are the same in both languages (e.g. "Kelompok"); they are listed in the catalog.
    same = {
        "Kelompok",
        "KK",
        "Kelurahan",
        "Pendamping",
        "Total",
        "Ketua RT",
        "Bendahara Pokja",
        "Admin DPMPPA",
        "Language set to English.",
        "Telegram: long polling.",
        "{name}, {role}",
        "{name}, {what}",
        "Kampung Bahagia",
        "Roster",
        "Simulator",
    }
    assert [m for m in missing if m not in same] == []


def test_translations_keep_placeholders():
    catalog = translations("id")
    for message in code_messages():
        translated = catalog.gettext(message)
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(message)), message
