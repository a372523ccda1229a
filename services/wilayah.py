"""The 11 kecamatan and 68 kelurahan of Kota Jambi, loaded from the CSV shipped in services/data."""

import csv
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import Kecamatan, Kelurahan


def read_wilayah() -> list[dict[str, str]]:
    text = (Path(__file__).parent / "data" / "jambi_wilayah.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


async def ensure_wilayah(session: AsyncSession) -> int:
    """Insert any kecamatan/kelurahan not yet present (idempotent). Returns how many kelurahan were added."""
    rows = read_wilayah()
    known_kecamatan = set(await session.scalars(select(Kecamatan.kode)))
    known_kelurahan = set(await session.scalars(select(Kelurahan.kode)))
    added = 0
    for row in rows:
        if row["kode_kecamatan"] not in known_kecamatan:
            session.add(Kecamatan(kode=row["kode_kecamatan"], nama=row["kecamatan"]))
            known_kecamatan.add(row["kode_kecamatan"])
    await session.flush()
    for row in rows:
        if row["kode_kelurahan"] not in known_kelurahan:
            session.add(
                Kelurahan(kode=row["kode_kelurahan"], nama=row["kelurahan"], kecamatan_kode=row["kode_kecamatan"])
            )
            added += 1
    await session.flush()
    return added
