"""Builds small real JPEGs (8×8 pixels) with real EXIF segments (either byte order): no binary fixtures."""

import io
import struct

from PIL import Image


def _rational(value: float) -> tuple[int, int]:
    return round(value * 10000), 10000


def _ifd(order: str, entries: list[tuple[int, int, int, bytes]], base: int) -> bytes:
    """entries: (tag, type, count, payload); payloads over 4 bytes go after the IFD, offsets from the TIFF start."""
    head = struct.pack(order + "H", len(entries))
    extra = b""
    extra_start = base + 2 + 12 * len(entries) + 4
    for tag, kind, count, payload in entries:
        if len(payload) <= 4:
            head += struct.pack(order + "HHI", tag, kind, count) + payload.ljust(4, b"\x00")
        else:
            head += struct.pack(order + "HHII", tag, kind, count, extra_start + len(extra))
            extra += payload
    return head + struct.pack(order + "I", 0) + extra


def jpeg_with_exif(
    taken: str | None = "2026:01:12 09:30:15",
    lat: float | None = -1.6101,
    lon: float | None = 103.6131,
    offset: str | None = None,
    big_endian: bool = False,
) -> bytes:
    order = ">" if big_endian else "<"
    header = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)

    def rationals(value: float) -> bytes:
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = (value - d - m / 60) * 3600
        return b"".join(struct.pack(order + "II", *_rational(x)) for x in (d, m, s))

    exif_entries = []
    if taken:
        exif_entries.append((0x9003, 2, 20, taken.encode() + b"\x00"))
    if offset:
        exif_entries.append((0x9011, 2, 7, offset.encode() + b"\x00"))
    gps_entries = []
    if lat is not None and lon is not None:
        gps_entries = [
            (1, 2, 2, (b"S" if lat < 0 else b"N") + b"\x00"),
            (2, 5, 3, rationals(lat)),
            (3, 2, 2, (b"W" if lon < 0 else b"E") + b"\x00"),
            (4, 5, 3, rationals(lon)),
        ]
    # IFD0 with two pointers, then the Exif IFD, then the GPS IFD.
    ifd0_size = 2 + 12 * 2 + 4
    exif_at = 8 + ifd0_size
    exif_ifd = _ifd(order, exif_entries, exif_at)
    gps_at = exif_at + len(exif_ifd)
    gps_ifd = _ifd(order, gps_entries, gps_at)
    ifd0 = _ifd(
        order, [(0x8769, 4, 1, struct.pack(order + "I", exif_at)), (0x8825, 4, 1, struct.pack(order + "I", gps_at))], 8
    )
    tiff = header + ifd0 + exif_ifd + gps_ifd
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(out, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return out.getvalue()
