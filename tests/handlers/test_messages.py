"""The contract between the core and the channels: what a choice id may be."""

import pytest

from handlers.messages import MAX_CHOICE_ID_BYTES, Choice


def test_a_choice_id_fits_in_every_channel() -> None:
    assert Choice("s:" + "x" * (MAX_CHOICE_ID_BYTES - 2), "Tahap").id
    with pytest.raises(ValueError, match="over 40 bytes"):
        Choice("s:" + "é" * 20, "Tahap")  # 42 bytes: counted in bytes, not characters
