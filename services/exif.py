"""The two EXIF facts a stage report cares about — when and where a photo was taken — read with Pillow.

Telegram keeps EXIF only for photos sent "as file"; WhatsApp strips it. Anything malformed gives no facts,
never an error: a photo without EXIF is still a good photo.
"""

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from PIL import ExifTags, Image

from services.wib import WIB

# A camera's clock has no zone; in Kota Jambi it is WIB unless the photo says otherwise (OffsetTimeOriginal).
DEFAULT_ZONE = WIB
TAG = ExifTags.Base
GPS = ExifTags.GPS


@dataclass(frozen=True)
class ExifFacts:
    taken_at: datetime | None = None  # UTC
    latitude: float | None = None
    longitude: float | None = None


def read_exif(content: bytes) -> ExifFacts:
    """The facts of a photo given as bytes (any format Pillow opens); no facts for anything else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on corrupt EXIF; that is just "no facts" here
        try:
            with Image.open(io.BytesIO(content)) as image:
                return facts_of(image)
        except Exception:  # whatever the bytes are, the report they belong to goes through
            return ExifFacts()


def facts_of(image: Image.Image) -> ExifFacts:
    """The facts of an opened image. Each part is read on its own: a broken GPS block keeps the time, and back."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exif = image.getexif()
        except Exception:  # a third-party parser on hostile bytes
            return ExifFacts()
        taken_at = _guard(lambda: _taken_at(exif))
        position = _guard(lambda: _position(exif)) or (None, None)
    return ExifFacts(taken_at=taken_at, latitude=position[0], longitude=position[1])


def _guard(read):
    try:
        return read()
    except Exception:  # malformed values (wrong types, zero denominators) mean "not known"
        return None


def _sub_ifd(exif: Image.Exif, pointer: int) -> dict:
    # A pointer is a LONG; broken editors write other types, which point nowhere.
    if not isinstance(exif.get(pointer), int):
        return {}
    return exif.get_ifd(pointer)


def _taken_at(exif: Image.Exif) -> datetime | None:
    details = _sub_ifd(exif, ExifTags.IFD.Exif)
    when = details.get(TAG.DateTimeOriginal) or exif.get(TAG.DateTime)
    if not isinstance(when, str):
        return None
    try:
        local = datetime.strptime(when.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = DEFAULT_ZONE
    offset = details.get(TAG.OffsetTimeOriginal)
    if isinstance(offset, str) and len(offset.rstrip("\x00")) == 6 and offset[0] in "+-" and offset[3] == ":":
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return local.replace(tzinfo=zone).astimezone(UTC)


def _position(exif: Image.Exif) -> tuple[float, float] | None:
    gps = _sub_ifd(exif, ExifTags.IFD.GPSInfo)
    latitude = _coordinate(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef), "S")
    longitude = _coordinate(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef), "W")
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None  # 0,0 is what phones write when they had no GPS fix
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _coordinate(value: object, ref: object, negative: str) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    degrees = float(value[0]) + float(value[1]) / 60 + float(value[2]) / 3600
    if isinstance(ref, bytes):
        ref = ref.split(b"\x00", 1)[0].decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return round(degrees, 7)
