"""The two EXIF facts a stage report cares about — when and where a JPEG photo was taken — in pure Python.

Telegram keeps EXIF only for photos sent "as file"; WhatsApp strips it. Anything malformed gives no facts,
never an error: a photo without EXIF is still a good photo.
"""

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# A camera's clock has no zone; in Kota Jambi it is WIB unless the photo says otherwise (OffsetTimeOriginal).
DEFAULT_ZONE = ZoneInfo("Asia/Jakarta")
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATE_TIME = 0x9003, 0x9011, 0x0132
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}


@dataclass(frozen=True)
class ExifFacts:
    taken_at: datetime | None = None  # UTC
    latitude: float | None = None
    longitude: float | None = None


def read_exif(content: bytes) -> ExifFacts:
    try:
        tiff = _exif_segment(content)
        return _facts(tiff) if tiff else ExifFacts()
    except (struct.error, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, OverflowError):
        # A second net under the checks above: whatever a photo holds, the report it belongs to goes through.
        return ExifFacts()


def _exif_segment(content: bytes) -> bytes | None:
    if content[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 4 <= len(content):
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker in (0xD9, 0xDA):  # end of image / start of scan: no metadata after this
            return None
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        body = content[position + 4 : position + 2 + length]
        if marker == 0xE1 and body[:6] == b"Exif\x00\x00":
            return body[6:]
        position += 2 + length
    return None


class _Tiff:
    def __init__(self, data: bytes) -> None:
        if data[:2] not in (b"II", b"MM"):
            raise ValueError("not TIFF")
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"

    def unpack(self, fmt: str, offset: int) -> tuple:
        return struct.unpack_from(self.order + fmt, self.data, offset)

    def ifd(self, offset: int) -> dict[int, object]:
        (count,) = self.unpack("H", offset)
        entries = {}
        for i in range(count):
            tag, kind, n, raw = self.unpack("HHI4s", offset + 2 + 12 * i)
            entries[tag] = self.value(kind, n, raw, offset + 2 + 12 * i + 8)
        return entries

    def value(self, kind: int, count: int, raw: bytes, here: int) -> object:
        size = TYPE_SIZES.get(kind, 1) * count
        start = here if size <= 4 else self.unpack("I", here)[0]
        if kind == 2:
            return self.data[start : start + count].split(b"\x00", 1)[0].decode("ascii", "replace")
        if kind in (5, 10):
            fmt = "II" if kind == 5 else "ii"
            pairs = [self.unpack(fmt, start + 8 * i) for i in range(count)]
            return [a / b for a, b in pairs]
        if kind == 3:
            return [self.unpack("H", start + 2 * i)[0] for i in range(count)]
        if kind == 4:
            return [self.unpack("I", start + 4 * i)[0] for i in range(count)]
        return raw


def _facts(data: bytes) -> ExifFacts:
    tiff = _Tiff(data)
    (first,) = tiff.unpack("I", 4)
    ifd0 = tiff.ifd(first)
    exif = _sub_ifd(tiff, ifd0.get(EXIF_IFD))
    gps = _sub_ifd(tiff, ifd0.get(GPS_IFD))
    when = exif.get(DATE_TIME_ORIGINAL) or ifd0.get(DATE_TIME)
    latitude, longitude = _coordinate(gps.get(2), gps.get(1), "S"), _coordinate(gps.get(4), gps.get(3), "W")
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        latitude = longitude = None  # 0,0 is what phones write when they had no GPS fix
    return ExifFacts(
        taken_at=_taken_at(when, exif.get(OFFSET_TIME_ORIGINAL)) if isinstance(when, str) else None,
        latitude=latitude,
        longitude=longitude,
    )


def _sub_ifd(tiff: _Tiff, pointer: object) -> dict[int, object]:
    # A pointer is a LONG; broken editors write other types, which point nowhere.
    if isinstance(pointer, list) and pointer and isinstance(pointer[0], int):
        return tiff.ifd(pointer[0])
    return {}


def _taken_at(text: str, offset: object) -> datetime | None:
    try:
        local = datetime.strptime(text.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = DEFAULT_ZONE
    if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return local.replace(tzinfo=zone).astimezone(UTC)


def _coordinate(value: object, ref: object, negative: str) -> float | None:
    if not isinstance(value, list) or len(value) != 3:
        return None
    degrees = value[0] + value[1] / 60 + value[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.split(b"\x00", 1)[0].decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() == negative:
        degrees = -degrees
    return round(degrees, 7)
