"""The program's rules as data: budget tiers, Kelompok windows, the stage catalog, reminder slots.

Loaded from one TOML file (`PROGRAM_FILE`, default the one shipped in `services/data/program.toml`) and
validated as a whole: every problem is reported at once, and a broken file is never half-used.
"""

import itertools
import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from services.problems import ProblemCollector, ProblemError

KELOMPOK = ("A", "B")
REPORTER_ROLES = ("ketua_rt", "bendahara")
FIELD_KINDS = ("bilangan", "teks", "rupiah", "pilihan")
# Stage codes travel inside button data (Telegram allows 64 bytes in all) and in reminder keys: short and plain.
STAGE_KODE = re.compile(r"[a-z0-9_]{1,32}")
DEFAULT_PROGRAM_FILE = Path(__file__).parent / "data" / "program.toml"


@dataclass(frozen=True)
class Tier:
    nama: str
    min_kk: int
    max_kk: int | None
    alokasi: int

    def covers(self, jumlah_kk: int) -> bool:
        return jumlah_kk >= self.min_kk and (self.max_kk is None or jumlah_kk <= self.max_kk)


@dataclass(frozen=True)
class StageField:
    kode: str
    label: str
    jenis: str
    pilihan: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    kode: str
    nama: str
    pelapor: str
    ingatkan: tuple[str, ...]
    setelah: tuple[str, ...]
    foto_min: int
    dokumen_min: int
    isian: tuple[StageField, ...]
    # Months (first day of each) in which the stage is due, per Kelompok.
    bulan: dict[str, tuple[date, ...]]
    # The documents the stage takes ("SK Pokja"), each as a PDF or a photo of the paper: named in the question.
    # A stage that names documents takes a PDF even when it requires none (`dokumen = 0`).
    dokumen_nama: tuple[str, ...] = ()

    def months(self, kelompok: str) -> tuple[date, ...]:
        return self.bulan[kelompok]

    def last_month(self, kelompok: str) -> date:
        return self.bulan[kelompok][-1]

    def first_month(self, kelompok: str) -> date:
        return self.bulan[kelompok][0]


@dataclass(frozen=True)
class Window:
    mulai: date
    selesai: date

    def contains(self, month: date) -> bool:
        return self.mulai <= month <= self.selesai


@dataclass(frozen=True)
class ReminderSlot:
    hari: int
    jam: time


@dataclass(frozen=True)
class Program:
    tahun: int
    tiers: tuple[Tier, ...]
    kk_batas_wajar: int
    kk_maksimum: int
    kelompok: dict[str, Window]
    stages: tuple[Stage, ...]
    pengingat_bulanan: ReminderSlot
    pengingat_susulan: ReminderSlot
    tenggang_hari: int
    bidang: dict[str, str]

    def tier_for(self, jumlah_kk: int) -> Tier:
        for tier in self.tiers:
            if tier.covers(jumlah_kk):
                return tier
        raise ProblemError.one("kk_out_of_range", jumlah_kk=jumlah_kk)

    def allocation(self, jumlah_kk: int | None) -> int | None:
        """Rupiah for an RT with this many KK; None while the count is not registered."""
        return None if jumlah_kk is None else self.tier_for(jumlah_kk).alokasi

    def stage(self, kode: str) -> Stage:
        for stage in self.stages:
            if stage.kode == kode:
                return stage
        raise KeyError(kode)

    def stage_order(self, kode: str) -> int:
        return [s.kode for s in self.stages].index(kode)


def load_program(path: str | Path | None = None) -> Program:
    """Read and validate the program file; the shipped default when no path is given."""
    if path is None:
        text = DEFAULT_PROGRAM_FILE.read_text(encoding="utf-8")
        where = "program.toml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ProblemError.one("program_unreadable", path=str(path), error=str(error)) from error
        where = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError.one("program_not_toml", path=where, error=str(error)) from error
    return parse_program(raw)


def parse_program(raw: dict[str, Any]) -> Program:
    parser = _Parser()
    program = parser.program(raw)
    if parser.problems:
        raise ProblemError(parser.problems)
    assert program is not None
    return program


class _Parser(ProblemCollector):
    """The program file, read as a whole."""

    def integer(self, table: dict, key: str, where: str, *, minimum: int = 0, optional: bool = False):
        value = table.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.problem(f"{where}.{key}", "program_bad_integer", value=value, minimum=minimum)
            return None
        return value

    def month(self, value: Any, where: str) -> date | None:
        try:
            year, month = str(value).split("-")
            return date(int(year), int(month), 1)
        except (ValueError, TypeError):
            self.problem(where, "program_bad_month", value=value)
            return None

    def program(self, raw: dict) -> Program | None:
        tahun = self.integer(raw, "tahun", "tahun", minimum=2000)
        tiers = self.tiers(raw.get("tier"))
        kk = raw.get("kk", {})
        batas_wajar = self.integer(kk, "batas_wajar", "kk", minimum=1)
        maksimum = self.integer(kk, "maksimum", "kk", minimum=1)
        if batas_wajar and maksimum and batas_wajar > maksimum:
            self.problem("kk", "program_kk_bounds", batas_wajar=batas_wajar, maksimum=maksimum)
        windows = self.windows(raw.get("kelompok", {}))
        stages = self.stages(raw.get("tahap"), windows)
        pengingat = raw.get("pengingat", {})
        bulanan = self.slot(pengingat.get("bulanan"), "pengingat.bulanan")
        susulan = self.slot(pengingat.get("susulan"), "pengingat.susulan")
        tenggang = self.integer(pengingat, "tenggang_hari", "pengingat", minimum=0)
        bidang = raw.get("bidang")
        if (
            not isinstance(bidang, dict)
            or not bidang
            or not all(isinstance(v, str) for v in bidang.values())
            # The keys are /belanja's button ids: short and plain, like stage codes.
            or not all(STAGE_KODE.fullmatch(str(k)) for k in bidang)
        ):
            self.problem("bidang", "program_bad_bidang")
            bidang = {}
        if self.problems:
            return None
        return Program(
            tahun=tahun,
            tiers=tiers,
            kk_batas_wajar=batas_wajar,
            kk_maksimum=maksimum,
            kelompok=windows,
            stages=stages,
            pengingat_bulanan=bulanan,
            pengingat_susulan=susulan,
            tenggang_hari=tenggang,
            bidang=dict(bidang),
        )

    def tiers(self, raw: Any) -> tuple[Tier, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("tier", "program_no_tiers")
            return ()
        tiers = []
        for index, table in enumerate(raw):
            where = f"tier[{index + 1}]"
            nama = self.text(table, "nama", where)
            low = self.integer(table, "min_kk", where)
            high = self.integer(table, "max_kk", where, optional=True)
            alokasi = self.integer(table, "alokasi", where, minimum=1)
            if None in (nama, low, alokasi):
                continue
            if high is not None and high < low:
                self.problem(where, "program_tier_inverted", min_kk=low, max_kk=high)
                continue
            tiers.append(Tier(nama, low, high, alokasi))
        tiers.sort(key=lambda t: t.min_kk)
        if len(tiers) != len(raw):
            return tuple(tiers)
        if tiers[0].min_kk > 1:
            self.problem("tier", "program_tier_gap", start=1, end=tiers[0].min_kk - 1)
        for lower, upper in itertools.pairwise(tiers):
            if lower.max_kk is None or lower.max_kk >= upper.min_kk:
                self.problem("tier", "program_tier_overlap", first=lower.nama, second=upper.nama)
            elif lower.max_kk + 1 < upper.min_kk:
                self.problem("tier", "program_tier_gap", start=lower.max_kk + 1, end=upper.min_kk - 1)
        if tiers[-1].max_kk is not None:
            self.problem("tier", "program_tier_open_end", max_kk=tiers[-1].max_kk)
        return tuple(tiers)

    def windows(self, raw: dict) -> dict[str, Window]:
        windows = {}
        for kelompok in KELOMPOK:
            table = raw.get(kelompok)
            where = f"kelompok.{kelompok}"
            if not isinstance(table, dict):
                self.problem(where, "program_missing_kelompok", kelompok=kelompok)
                continue
            mulai = self.month(table.get("mulai"), f"{where}.mulai")
            selesai = self.month(table.get("selesai"), f"{where}.selesai")
            if mulai and selesai:
                if selesai < mulai:
                    self.problem(where, "program_window_inverted", kelompok=kelompok)
                windows[kelompok] = Window(mulai, selesai)
        return windows

    def stages(self, raw: Any, windows: dict[str, Window]) -> tuple[Stage, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("tahap", "program_no_stages")
            return ()
        stages: list[Stage] = []
        seen: set[str] = set()
        for index, table in enumerate(raw):
            where = f"tahap[{index + 1}]"
            kode = self.text(table, "kode", where)
            nama = self.text(table, "nama", where)
            if kode and not STAGE_KODE.fullmatch(kode):
                self.problem(f"{where}.kode", "program_bad_stage_kode", kode=kode)
                kode = None
            if kode in seen:
                self.problem(where, "program_duplicate_stage", kode=kode)
            pelapor = table.get("pelapor")
            if pelapor not in REPORTER_ROLES:
                self.problem(f"{where}.pelapor", "program_bad_role", value=pelapor)
            ingatkan = table.get("ingatkan", [pelapor])
            if not isinstance(ingatkan, list) or any(r not in REPORTER_ROLES for r in ingatkan):
                self.problem(f"{where}.ingatkan", "program_bad_role", value=ingatkan)
                ingatkan = []
            setelah = table.get("setelah", [])
            for before in setelah:
                if before not in seen:
                    # Only earlier stages may be prerequisites: this also rules out cycles.
                    self.problem(f"{where}.setelah", "program_unknown_prerequisite", kode=before)
            bukti = table.get("bukti", {})
            foto = self.integer(bukti, "foto", f"{where}.bukti")
            dokumen = self.integer(bukti, "dokumen", f"{where}.bukti")
            dokumen_nama = bukti.get("dokumen_nama", [])
            if not isinstance(dokumen_nama, list) or not all(isinstance(n, str) and n.strip() for n in dokumen_nama):
                self.problem(f"{where}.bukti.dokumen_nama", "program_bad_document_names", value=dokumen_nama)
                dokumen_nama = []
            isian = self.fields(table.get("isian", []), where)
            bulan = self.stage_months(table.get("bulan"), where, kode, windows)
            if kode:
                seen.add(kode)
            if None in (kode, nama, foto, dokumen) or bulan is None:
                continue
            names = tuple(n.strip() for n in dokumen_nama)
            stages.append(
                Stage(kode, nama, pelapor, tuple(ingatkan), tuple(setelah), foto, dokumen, isian, bulan, names)
            )
        return tuple(stages)

    def stage_months(self, raw: Any, where: str, kode: str | None, windows: dict[str, Window]):
        if not isinstance(raw, dict):
            self.problem(f"{where}.bulan", "program_missing_months")
            return None
        result: dict[str, tuple[date, ...]] = {}
        for kelompok in KELOMPOK:
            values = raw.get(kelompok)
            if not isinstance(values, list) or not values:
                self.problem(f"{where}.bulan.{kelompok}", "program_missing_months")
                return None
            months = [self.month(v, f"{where}.bulan.{kelompok}") for v in values]
            if None in months:
                return None
            months.sort()
            window = windows.get(kelompok)
            for month in months:
                if window and not window.contains(month):
                    self.problem(
                        f"{where}.bulan.{kelompok}",
                        "program_stage_outside_window",
                        stage=kode,
                        kelompok=kelompok,
                        month=month.strftime("%Y-%m"),
                        mulai=window.mulai.strftime("%Y-%m"),
                        selesai=window.selesai.strftime("%Y-%m"),
                    )
            result[kelompok] = tuple(months)
        return result

    def fields(self, raw: Any, where: str) -> tuple[StageField, ...]:
        fields = []
        for index, table in enumerate(raw if isinstance(raw, list) else []):
            field_where = f"{where}.isian[{index + 1}]"
            kode = self.text(table, "kode", field_where)
            label = self.text(table, "label", field_where)
            jenis = table.get("jenis")
            pilihan = tuple(table.get("pilihan", ()))
            if jenis not in FIELD_KINDS or (jenis == "pilihan" and not pilihan):
                self.problem(f"{field_where}.jenis", "program_bad_field_kind", value=jenis)
                continue
            if kode and label:
                fields.append(StageField(kode, label, jenis, pilihan))
        return tuple(fields)

    def slot(self, raw: Any, where: str) -> ReminderSlot | None:
        try:
            hari = int(raw["hari"])
            hour, minute = (int(part) for part in str(raw["jam"]).split(":"))
            if not 1 <= hari <= 28:
                raise ValueError(hari)
            return ReminderSlot(hari, time(hour, minute))
        except (KeyError, TypeError, ValueError):
            self.problem(where, "program_bad_slot", value=raw)
            return None
