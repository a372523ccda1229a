from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.exif import ExifFacts, read_exif
from tests.services.exif_jpeg import jpeg_with_exif


@pytest.mark.parametrize("big_endian", [False, True])
def test_time_and_gps_of_a_camera_photo(big_endian: bool) -> None:
    facts = read_exif(jpeg_with_exif(big_endian=big_endian))
    assert facts.taken_at == datetime(2026, 1, 12, 2, 30, 15, tzinfo=UTC)  # 09:30 WIB
    assert facts.latitude == pytest.approx(-1.6101, abs=1e-4)
    assert facts.longitude == pytest.approx(103.6131, abs=1e-4)


def test_offset_time_wins_over_the_default_zone() -> None:
    facts = read_exif(jpeg_with_exif(offset="+08:00"))
    assert facts.taken_at == datetime(2026, 1, 12, 1, 30, 15, tzinfo=UTC)


def test_no_gps_fix_is_no_location() -> None:
    assert read_exif(jpeg_with_exif(lat=0.0, lon=0.0)).latitude is None
    assert read_exif(jpeg_with_exif(lat=None, lon=None)).longitude is None


@pytest.mark.parametrize(
    "content",
    [b"", b"not a jpeg", b"\xff\xd8\xff\xd9", jpeg_with_exif()[:40], jpeg_with_exif(taken="garbage")[:-1]],
)
def test_anything_malformed_gives_no_facts_and_no_error(content: bytes) -> None:
    facts = read_exif(content)
    assert isinstance(facts, ExifFacts)
    assert facts.taken_at is None


def test_a_pointer_of_the_wrong_type_gives_no_facts() -> None:
    # The Exif IFD pointer written as ASCII instead of LONG: seen from broken photo editors.
    content = jpeg_with_exif().replace(b"\x69\x87\x04\x00", b"\x69\x87\x02\x00", 1)
    assert read_exif(content).taken_at is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_corruption_of_a_real_exif_block_gives_no_error(data: st.DataObject) -> None:
    content = bytearray(jpeg_with_exif(big_endian=data.draw(st.booleans())))
    for _ in range(data.draw(st.integers(1, 8))):
        content[data.draw(st.integers(2, len(content) - 1))] = data.draw(st.integers(0, 255))
    assert isinstance(read_exif(bytes(content)), ExifFacts)


async def test_record_media_keeps_exif_of_a_jpeg(db, tmp_path) -> None:
    from services.media import MediaStore, record_media

    async with db.unit_of_work() as session:
        media = await record_media(
            session,
            MediaStore(tmp_path),
            jpeg_with_exif(),
            kind="document",
            uploaded_by_id=None,
            rt_id=None,
        )
        plain = await record_media(
            session,
            MediaStore(tmp_path),
            b"%PDF-1.4",
            kind="document",
            uploaded_by_id=None,
            rt_id=None,
        )
    assert media.exif_taken_at == datetime(2026, 1, 12, 2, 30, 15, tzinfo=UTC)
    assert media.exif_latitude == pytest.approx(-1.6101, abs=1e-4)
    assert plain.exif_taken_at is None
