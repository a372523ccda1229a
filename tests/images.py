"""Tiny real files for tests: files are checked by their content, so a photo in a test must be a real photo.

Each `n` gives different pixels, so different bytes (the same bytes twice are the same media).
"""

import hashlib
import io
from functools import cache

from PIL import Image


def _image(n: int, size: tuple[int, int]) -> Image.Image:
    seed = hashlib.sha256(str(n).encode()).digest()
    pixels = (seed * (size[0] * size[1] * 3 // len(seed) + 1))[: size[0] * size[1] * 3]
    return Image.frombytes("RGB", size, pixels)


@cache
def jpeg(n: int = 0, size: tuple[int, int] = (16, 12), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    _image(n, size).save(out, "JPEG", quality=90, **({"exif": exif} if exif else {}))
    return out.getvalue()


@cache
def png(n: int = 0, size: tuple[int, int] = (16, 12)) -> bytes:
    out = io.BytesIO()
    _image(n, size).save(out, "PNG")
    return out.getvalue()


def pdf(text: str = "bukti") -> bytes:
    """A small PDF with one page; only its header decides that it is a PDF."""
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text.encode() + b"\ntrailer<<>>\n%%EOF\n"
