"""What the Ketua RT should do next, in one sentence, from the RT's stage states (used by /lapor and /jadwal)."""

from handlers.formatting import bulan
from handlers.i18n import _
from services import schedule
from services.schedule import StageState, StageStatus

ROLE = "ketua_rt"
SUBMITTED = (StageStatus.SELESAI, StageStatus.MENUNGGU_TINJAUAN)


def what_next(states: list[StageState], *, say_waiting: bool = True) -> str:
    """`say_waiting` False right after a report was sent: its message already says it waits for the pendamping."""
    open_now = schedule.reportable(states, ROLE)
    if open_now:
        return _("Send /lapor to report: {stage}.", stage=open_now[0].stage.nama)
    blocked = blocked_reason(states)
    if blocked:
        return blocked
    mine = [s for s in states if s.stage.pelapor == ROLE]
    upcoming = [s for s in mine if s.status == StageStatus.AKAN_DATANG]
    waiting = [s for s in mine if s.status == StageStatus.MENUNGGU_TINJAUAN]
    if upcoming:
        nothing = _(
            "Nothing to report now. Next: {stage} in {month}.",
            stage=upcoming[0].stage.nama,
            month=bulan(upcoming[0].months[0]),
        )
        if waiting and say_waiting:
            return f"{waiting_note(waiting)} {nothing}"
        return nothing
    if waiting:
        return waiting_note(waiting) if say_waiting else ""
    return _("Every stage has been reported. Thank you!")


def waiting_note(waiting: list[StageState]) -> str:
    return _(
        "Your pendamping is reviewing: {stages}.",
        stages=", ".join(s.stage.nama for s in waiting),
    )


def blocked_reason(states: list[StageState]) -> str | None:
    """An open stage that cannot be reported yet because an earlier one is missing: say which, and whose it is."""
    by_kode = {s.stage.kode: s for s in states}
    submitted = {s.stage.kode for s in states if s.status in SUBMITTED}
    for state in states:
        if state.stage.pelapor != ROLE or state.status not in schedule.OPEN:
            continue
        missing = [by_kode[k] for k in state.stage.setelah if k not in submitted and k in by_kode]
        if not missing:
            continue
        first = missing[0]
        if first.stage.pelapor != ROLE:
            return _(
                "{stage} can be reported after the Bendahara Pokja reports {before}.",
                stage=state.stage.nama,
                before=first.stage.nama,
            )
        return _(
            "{stage} can be reported after {before}. Send /lapor when {before} is done.",
            stage=state.stage.nama,
            before=first.stage.nama,
        )
    return None
