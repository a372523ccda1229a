"""Which RTs a dashboard list shows: a filter that round-trips through URL query parameters, and the sort order.

The overview attaches one of these to every number it shows, so a number links to exactly the RTs behind it.
Values from a URL are untrusted: anything unknown or malformed is dropped (never an error, never a wider scope —
the viewer's scope is applied separately by services/assignments.py).
"""

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from services.program import STAGE_KODE, Program
from services.schedule import StageStatus

# Filter statuses beyond StageStatus: the state's `late` flag, and "not reported yet and not late".
OVERDUE = "overdue"
NOT_STARTED = "not_started"
STATUSES = (*(s.value for s in StageStatus), OVERDUE, NOT_STARTED)
SORT_KEYS = ("kode", "kelurahan", "kelompok", "jumlah_kk", "progress", "balance")
_WILAYAH_KODE = re.compile(r"[0-9.]{1,13}")
_SEARCH = re.compile(r"[0-9A-Za-z.\-]{1,20}")
_YES, _NO = "1", "0"


def _flag(value: str | None) -> bool | None:
    return {_YES: True, _NO: False}.get(value or "")


@dataclass(frozen=True)
class RTFilter:
    kecamatan: str | None = None  # kode, e.g. 15.71.01
    kelurahan: str | None = None  # kode, e.g. 15.71.01.1001
    kelompok: str | None = None  # A | B
    pendamping_id: int | None = None
    stage: str | None = None  # stage kode; with `status`: that stage only, without: any stage
    status: str | None = None  # a value of STATUSES
    pilot: bool | None = None
    kk_known: bool | None = None  # the RT's KK count is registered (so it has an allocation)
    registered: bool | None = None  # the RT has a registered Ketua RT
    bendahara_registered: bool | None = None
    seats_complete: bool | None = None  # both Ketua RT and Bendahara registered
    fund_mismatch: bool | None = None  # see services/rt_table.py RTRow.fund_mismatch
    unreachable: bool | None = None  # someone of the RT is blocked or undeliverable on their channel
    q: str | None = None  # part of the RT code

    def to_query(self) -> dict[str, str]:
        """URL query parameters; only what is set."""
        query = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            query[name] = (_YES if value else _NO) if isinstance(value, bool) else str(value)
        return query

    @classmethod
    def from_query(cls, params: Mapping[str, str], program: Program | None = None) -> "RTFilter":
        """The filter in these parameters; unknown names and invalid values are ignored. With `program`, a stage
        not in it is ignored too."""

        def get(name: str) -> str | None:
            value = params.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        kecamatan, kelurahan = get("kecamatan"), get("kelurahan")
        stage = get("stage")
        if stage is not None and (
            not STAGE_KODE.fullmatch(stage) or (program is not None and stage not in {s.kode for s in program.stages})
        ):
            stage = None
        pendamping = get("pendamping_id")
        status = get("status")
        q = get("q")
        return cls(
            kecamatan=kecamatan if kecamatan and _WILAYAH_KODE.fullmatch(kecamatan) else None,
            kelurahan=kelurahan if kelurahan and _WILAYAH_KODE.fullmatch(kelurahan) else None,
            kelompok=get("kelompok") if get("kelompok") in ("A", "B") else None,
            pendamping_id=int(pendamping) if pendamping and pendamping.isdigit() and len(pendamping) < 10 else None,
            stage=stage,
            status=status if status in STATUSES else None,
            pilot=_flag(get("pilot")),
            kk_known=_flag(get("kk_known")),
            registered=_flag(get("registered")),
            bendahara_registered=_flag(get("bendahara_registered")),
            seats_complete=_flag(get("seats_complete")),
            fund_mismatch=_flag(get("fund_mismatch")),
            unreachable=_flag(get("unreachable")),
            q=q if q and _SEARCH.fullmatch(q) else None,
        )

    def but(self, **changes) -> "RTFilter":
        """The same filter with some fields changed (None clears one)."""
        return dataclasses.replace(self, **changes)


_FIELDS = tuple(field.name for field in fields(RTFilter))


@dataclass(frozen=True)
class Sort:
    key: str = "kode"
    descending: bool = False

    def to_query(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @classmethod
    def from_query(cls, value: str | None) -> "Sort":
        """`kode`, `-balance`...; anything else sorts by code."""
        value = (value or "").strip()
        descending = value.startswith("-")
        key = value.removeprefix("-")
        return cls(key, descending) if key in SORT_KEYS else cls()
