"""A deterministic demo roster over the 68 real kelurahan, for trying the bot and for benchmarks."""

import math
import random

from services.roster import COLUMNS
from services.wilayah import read_wilayah

PILOT_RTS = 67
RTS_PER_PENDAMPING = 25
FIRST_NAMES = (
    "Siti",
    "Ahmad",
    "Nur",
    "Dewi",
    "Rudi",
    "Fitri",
    "Hendra",
    "Yanti",
    "Agus",
    "Rina",
    "Bambang",
    "Lestari",
    "Joko",
    "Wati",
    "Irwan",
    "Sri",
    "Dedi",
    "Maya",
    "Syahrul",
    "Ratna",
)
LAST_NAMES = (
    "Hasibuan",
    "Saputra",
    "Lubis",
    "Siregar",
    "Harahap",
    "Wijaya",
    "Nasution",
    "Putri",
    "Rahman",
    "Kurniawan",
)


def demo_roster(rts: int = 1583, seed: int = 2026) -> list[dict[str, str]]:
    """Roster rows (as the import file would hold them) spread over every kelurahan.

    KK counts follow a normal spread around 110 (the city's ~100–120 per RT) so all three tiers occur; one RT in
    ten has no count yet, as if its Ketua RT had still to register it.
    """
    rng = random.Random(seed)
    kelurahan = [row["kode_kelurahan"] for row in read_wilayah()]
    per_kelurahan = [rts // len(kelurahan)] * len(kelurahan)
    for index in rng.sample(range(len(kelurahan)), rts % len(kelurahan)):
        per_kelurahan[index] += 1
    pendamping = _pendamping_names(rng, max(1, math.ceil(rts / RTS_PER_PENDAMPING)))
    rows = []
    for kode, count in zip(kelurahan, per_kelurahan, strict=True):
        for nomor in range(1, count + 1):
            kk = max(20, min(320, round(rng.gauss(110, 40))))
            rows.append(
                {
                    "kode_kelurahan": kode,
                    "rt": str(nomor),
                    "kelompok": rng.choice("AB"),
                    "jumlah_kk": "" if rng.random() < 0.1 else str(kk),
                    "pilot_2025": "tidak",
                    "pendamping": pendamping[len(rows) // RTS_PER_PENDAMPING],
                }
            )
    for index in rng.sample(range(len(rows)), min(PILOT_RTS, len(rows))):
        rows[index]["pilot_2025"] = "ya"
    assert all(set(row) == set(COLUMNS) for row in rows)
    return rows


def _pendamping_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in names:
            names.append(name)
    return names
