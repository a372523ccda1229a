"""services/filecheck.py: the type of a file comes from its bytes; anything else is FileRefused, never a crash."""

import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from services.filecheck import CheckedFile, FileRefused, check_file
from tests.images import jpeg, pdf, png
from tests.services.exif_jpeg import jpeg_with_exif


def _saved(kind: str, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "mime", "extension"),
    [
        (jpeg(), "image/jpeg", ".jpg"),
        (png(), "image/png", ".png"),
        (_saved("WEBP"), "image/webp", ".webp"),
        (_saved("HEIF"), "image/heic", ".heic"),
    ],
)
def test_photos_are_known_by_their_bytes(content: bytes, mime: str, extension: str) -> None:
    for kind in ("photo", "document"):
        checked = check_file(content, kind)
        assert (checked.mime_type, checked.extension, checked.is_image) == (mime, extension, True)
        assert checked.thumbnail.startswith(b"\xff\xd8")


def test_a_pdf_is_a_document_never_a_photo() -> None:
    assert check_file(pdf(), "document") == CheckedFile("application/pdf", ".pdf", False)
    with pytest.raises(FileRefused, match="not_an_image"):
        check_file(pdf(), "photo")


@pytest.mark.parametrize("kind", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_not_taken_as_photos(kind: str) -> None:
    with pytest.raises(FileRefused, match="not_pdf_or_image"):
        check_file(_saved(kind), "document")


def test_the_thumbnail_has_a_long_side_of_320_and_small_photos_stay_small() -> None:
    with Image.open(io.BytesIO(check_file(_saved("PNG", (1000, 500)), "photo").thumbnail)) as small:
        assert small.size == (320, 160)
    with Image.open(io.BytesIO(check_file(jpeg(), "photo").thumbnail)) as small:
        assert small.size == (16, 12)


def test_exif_facts_come_with_the_check() -> None:
    facts = check_file(jpeg_with_exif(), "photo").exif
    assert facts.latitude == pytest.approx(-1.6101, abs=1e-4) and facts.taken_at is not None


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_corruption_of_a_real_photo_is_refused_or_accepted_never_an_error(data: st.DataObject) -> None:
    content = bytearray(data.draw(st.sampled_from([jpeg(1), png(1), jpeg_with_exif()])))
    for _ in range(data.draw(st.integers(1, 8))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(content)))
    try:
        checked = check_file(bytes(content[:cut]), data.draw(st.sampled_from(["photo", "document"])))
    except FileRefused:
        return
    assert checked.is_image and checked.thumbnail


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_refused_or_accepted_never_an_error(content: bytes) -> None:
    with contextlib.suppress(FileRefused):
        check_file(content, "document")
