"""Real update JSON → `Incoming`, one row per fixture in updates/."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from aiogram.types import Update

from bot.channels.telegram.incoming import album_id, parse_callback_data, to_incoming
from handlers.messages import Incoming, Kind, MediaItem

UPDATES = Path(__file__).parent / "updates"
USER = "5550001"
NAME = "Budi Santoso"


def load(name: str) -> Update:
    return Update.model_validate(json.loads((UPDATES / f"{name}.json").read_text()))


EXPECTED: dict[str, Incoming | None] = {
    "text": Incoming("telegram", USER, Kind.TEXT, text="87 KK", display_name=NAME),
    "start_deep_link": Incoming(
        "telegram", USER, Kind.COMMAND, text="/start ABCD-EFGH", command="start", args="ABCD-EFGH", display_name=NAME
    ),
    "command_with_bot_name": Incoming(
        "telegram", USER, Kind.COMMAND, text="/KK@kampung_bahagia_bot", command="kk", display_name=NAME
    ),
    "callback": Incoming("telegram", USER, Kind.CHOICE, choice="ya", token=5, display_name=NAME),
    "callback_action": Incoming("telegram", USER, Kind.CHOICE, choice="act:tinjau_setuju:17", display_name=NAME),
    "photo": Incoming(
        "telegram",
        USER,
        Kind.MEDIA,
        text="Rembuk warga RT 03",
        media=(MediaItem("photo", "AgACAgUAAxkBAAIBQ2Z-large", "image/jpeg", 148213),),
        display_name=NAME,
    ),
    "album_photo": Incoming(
        "telegram",
        USER,
        Kind.MEDIA,
        media=(MediaItem("photo", "AgACAgUAAxkBAAIBQ2Z-large", "image/jpeg", 148213),),
        display_name=NAME,
    ),
    "document_jpeg": Incoming(
        "telegram",
        USER,
        Kind.MEDIA,
        media=(MediaItem("document", "BQACAgUAAxkBAAIBRGZ-doc", "image/jpeg", 3481922, "IMG_20260112_093015.jpg"),),
        display_name=NAME,
    ),
    "document_too_large": Incoming(
        "telegram",
        USER,
        Kind.MEDIA,
        media=(MediaItem("document", "BQACAgUAAxkBAAIBRWZ-big", "video/mp4", 31457280, "video_rembuk.mp4"),),
        display_name=NAME,
    ),
    "location": Incoming("telegram", USER, Kind.LOCATION, latitude=-1.610123, longitude=103.61312, display_name=NAME),
    "sticker": Incoming("telegram", USER, Kind.UNSUPPORTED, display_name=NAME),
    "voice": Incoming("telegram", USER, Kind.UNSUPPORTED, display_name=NAME),
    "contact": Incoming("telegram", USER, Kind.UNSUPPORTED, display_name=NAME),
    "video": Incoming("telegram", USER, Kind.UNSUPPORTED, display_name=NAME),
    "edited_message": None,
    "group_message": None,
    "my_chat_member_blocked": None,
    "callback_no_data": None,
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in UPDATES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_update_to_incoming(name: str) -> None:
    update = load(name)
    expected = EXPECTED[name]
    # The update id travels with the message, so the engine can claim it in its own unit of work.
    assert to_incoming(update) == (replace(expected, update_id=str(update.update_id)) if expected else None)


def test_only_album_media_has_an_album_id() -> None:
    assert album_id(load("album_photo")) == "13945127384719264"
    assert [n for n in EXPECTED if album_id(load(n))] == ["album_photo"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [("5:ya", (5, "ya")), ("0:act:x:1", (None, "act:x:1")), ("ya", (None, "ya")), ("x:y", (None, "x:y")),
     # Forged callback data: digits int() refuses, and a token past any conversation version, are no token.
     ("²:ya", (None, "²:ya")), ("٥:ya", (5, "ya")), ("99999999999999999999:ya", (None, "99999999999999999999:ya"))],
)  # fmt: skip
def test_callback_data(data: str, expected: tuple) -> None:
    assert parse_callback_data(data) == expected


def test_a_name_that_disguises_itself_arrives_as_it_reads() -> None:
    update = json.loads((UPDATES / "text.json").read_text())
    update["message"]["from"]["first_name"] = "\u202eNIMDA"
    update["message"]["from"]["last_name"] = "\u200f"
    update["message"]["text"] = "87\u2066 KK"
    incoming = to_incoming(Update.model_validate(update))
    assert (incoming.display_name, incoming.text) == ("NIMDA", "87 KK")
