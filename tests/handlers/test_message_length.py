"""The Indonesian a Ketua RT reads on a small phone (docs BAHASA.md): one screen per message, Bapak/Ibu not Anda."""

import re

from babel.messages.pofile import read_po

from handlers.i18n import LOCALES_DIR
from tests.handlers.test_translations import code_messages

# What one phone screen shows, about eight short lines.
ONE_SCREEN = 700
# A placeholder stands for a name, a date, an amount or a stage: about this long when filled.
FILLED = "x" * 30
# Messages that may run longer because they carry a list or a text the reader asked for, with the reason.
LONGER_ALLOWED: dict[str, str] = {
    "📢 Message from DPMPPA Kota Jambi:\n\n{text}": "a broadcast: its text is what the office wrote (at most 1,000)",
    "📢 Message from DPMPPA Kota Jambi ({name}):\n\n{text}": "a broadcast, as above",
    "📢 Message from your pendamping {name}:\n\n{text}": "a broadcast, as above",
}
PLACEHOLDER = re.compile(r"{\w+[^}]*}")
ANDA = re.compile(r"\b(Anda|anda|kamu|Kamu)\b")


def indonesian() -> dict[str, str]:
    """msgid → msgstr of the messages the code uses now."""
    with (LOCALES_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="id")
    used = code_messages()
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.id in used and m.string}


def filled(text: str) -> str:
    return PLACEHOLDER.sub(FILLED, text)


def test_the_catalog_is_read():
    assert len(indonesian()) > 300


def test_every_message_fits_on_one_screen_unless_it_is_a_list_asked_for():
    too_long = {
        msgid: len(filled(text))
        for msgid, text in indonesian().items()
        if len(filled(text)) > ONE_SCREEN and msgid not in LONGER_ALLOWED
    }
    assert too_long == {}


def test_the_allow_list_names_only_messages_that_exist():
    assert set(LONGER_ALLOWED) <= set(indonesian())


def test_the_check_would_catch_a_long_message():
    assert len(filled("Kalimat panjang tentang {stage}. " * 25)) > ONE_SCREEN


def test_no_indonesian_message_says_anda_or_kamu():
    assert {msgid: text for msgid, text in indonesian().items() if ANDA.search(text)} == {}
    assert ANDA.search("Apakah Anda setuju?") and not ANDA.search("Bapak/Ibu, Pandan, Andalas")


def test_an_rt_is_passed_by_its_whole_name_not_as_rt_and_a_code():
    # "RT {rt}" with the code was the old way; the RT's name comes whole from handlers.formatting.rt_nama.
    # Allowed: texts for the operator at the console, who types RT codes (seat_taken there names "person {id}" and
    # --ganti; a chat gets handlers.seats.taken_text instead).
    operator = {"RT {kode} is not in the roster.", "RT {kode} appears again (first on row {first_line}).",
                "a new Ketua RT of RT {rt}", "RT {nomor} of {kelurahan}",
                "RT {rt} already has an active {role}: {nama} (person {person_id}), since {sejak}. A code for this "
                "seat cannot be used while they hold it. To invite their replacement, add --ganti: when the new "
                "person registers with that code, {nama} loses access and is told so."}  # fmt: skip
    bare = {msgid for msgid, text in indonesian().items() if re.search(r"\bRT \{", text) and msgid not in operator}
    assert bare == set()
