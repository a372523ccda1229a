"""The contract between the core and the channels: what a choice id may be."""

import pytest

from handlers.incoming_text import text_incoming
from handlers.messages import MAX_CHOICE_ID_BYTES, Choice, Incoming, Kind, MediaItem


def test_a_choice_id_fits_in_every_channel() -> None:
    assert Choice("s:" + "x" * (MAX_CHOICE_ID_BYTES - 2), "Tahap").id
    with pytest.raises(ValueError, match="over 40 bytes"):
        Choice("s:" + "é" * 20, "Tahap")  # 42 bytes: counted in bytes, not characters


def test_what_a_person_sent_arrives_without_invisible_characters() -> None:
    incoming = Incoming("test", "u1", Kind.TEXT, text="Rapat\u202e selesai\x00", display_name="\u202eNIMDA\u200f")
    assert (incoming.text, incoming.display_name) == ("Rapat selesai", "NIMDA")
    item = MediaItem("document", "ref", "application/pdf", 10, "nota\u202egpj.pdf")
    assert item.file_name == "notagpj.pdf"


def test_an_invisible_character_does_not_hide_a_command() -> None:
    incoming = text_incoming("test", "u1", "\u200b/kk")
    assert (incoming.kind, incoming.command) == (Kind.COMMAND, "kk")
