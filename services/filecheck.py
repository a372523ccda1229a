"""What a file really is, decided from its bytes (never from the name or MIME type the sender claimed).

A photo is opened, verified and decoded in full by Pillow; a PDF must start with `%PDF-`. Anything else — an empty
file, SVG, a script named .jpg, a truncated photo, a decompression bomb, an image that is also a PDF or a web page —
is refused with a problem code, so nothing of it is ever stored. The same pass makes the thumbnail and reads EXIF,
so a photo is decoded once.

HEIC (iPhones send it as a document when "as file" is used): supported through pillow-heif, which installs from
PyPI as a wheel with libheif inside. It is stored as sent (image/heic), and its JPEG thumbnail is what a phone
without HEIC support can show.
"""

import io
import warnings
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageOps

from services.exif import ExifFacts, facts_of
from services.problems import Problem, ProblemError

pillow_heif.register_heif_opener()

PHOTO, DOCUMENT = "photo", "document"
# Pillow's format name → (mime type stored, file extension). Nothing else is taken as a photo: no SVG, GIF, TIFF...
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "HEIF": ("image/heic", ".heic"),
}
PDF = ("application/pdf", ".pdf")
# 48-megapixel phone cameras fit; a 2 KB file claiming 50000×50000 pixels (gigabytes once decoded) does not.
MAX_PIXELS = 64_000_000
THUMBNAIL_SIDE = 320
# A PDF reader takes a file as PDF when `%PDF-` appears in its first 1024 bytes; markup and scripts have no place
# in a photo. Either inside an image makes it a polyglot: one file that other programs open as something else.
POLYGLOT_HEAD = 1024
# Long enough that the compressed pixels of a real photo practically never hold one by chance.
POLYGLOT_MARKERS = (b"<script", b"<html", b"<?php", b"<!doctype")
PDF_ACTIONS = (b"/javascript", b"/launch")


class FileRefused(ProblemError):
    """The bytes are not a photo (or PDF) that can be kept; `code` says why, for the handler to put in words."""

    def __init__(self, code: str) -> None:
        super().__init__([Problem(code)])
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    mime_type: str
    extension: str
    is_image: bool
    thumbnail: bytes | None = None  # JPEG, long side THUMBNAIL_SIDE, EXIF orientation applied
    exif: ExifFacts = field(default_factory=ExifFacts)


def check_file(content: bytes, kind: str) -> CheckedFile:
    """Decide the type of `content` for a file sent as `kind` (photo | document); raises FileRefused.

    A photo must be an image; a document may be a PDF or an image (a photographed paper).
    """
    if not content:
        raise FileRefused("empty")
    if content.startswith(b"%PDF-"):
        if kind != DOCUMENT:
            raise FileRefused("not_an_image")
        lowered = content.lower()
        if any(marker in lowered for marker in PDF_ACTIONS):
            raise FileRefused("pdf_active")  # a PDF that runs code or opens programs is no proof of anything
        return CheckedFile(*PDF, is_image=False)
    try:
        return _check_image(content)
    except FileRefused as refused:
        if refused.code == "not_an_image" and kind == DOCUMENT:
            raise FileRefused("not_pdf_or_image") from None
        raise


def _check_image(content: bytes) -> CheckedFile:
    checked = _decode(content)
    lowered = content.lower()
    if b"%pdf-" in lowered[:POLYGLOT_HEAD] or any(marker in lowered for marker in POLYGLOT_MARKERS):
        raise FileRefused("polyglot")
    return checked


def _decode(content: bytes) -> CheckedFile:
    with warnings.catch_warnings():
        # Pillow warns (rather than fails) on a large image and on odd metadata: both are decided here instead.
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(content), formats=list(IMAGE_FORMATS)) as probe:
                _refuse_bomb(probe)
                probe.verify()
            with Image.open(io.BytesIO(content), formats=list(IMAGE_FORMATS)) as image:
                _refuse_bomb(image)
                image.load()  # verify() does not decode: a truncated photo only shows when its pixels are read
                mime_type, extension = IMAGE_FORMATS[image.format]
                return CheckedFile(mime_type, extension, True, _thumbnail(image), facts_of(image))
        except FileRefused:
            raise
        except Image.DecompressionBombError:
            raise FileRefused("image_too_large") from None
        except Exception:  # any failure of a decoder on hostile bytes means "not a usable photo"
            raise FileRefused("not_an_image") from None


def _refuse_bomb(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS or width <= 0 or height <= 0:
        raise FileRefused("image_too_large")


def _thumbnail(image: Image.Image) -> bytes:
    small = ImageOps.exif_transpose(image)  # a phone held upright stores pixels sideways plus an orientation tag
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    if small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()
