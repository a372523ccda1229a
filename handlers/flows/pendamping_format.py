"""How the pendamping and admin conversations name RTs, people and an RT's progress in one line."""

from handlers.formatting import bulan, rt_nama
from handlers.i18n import _
from handlers.menu import role_name
from handlers.messages import Reply
from services.models import RT, Person
from services.schedule import StageState, StageStatus

# Long lists are cut here: about what a phone screen can usefully show.
TOP = 30
# Stage names shown per kind in one RT's line; the rest are counted, so a line stays short.
MAX_NAMES = 2
# Below WhatsApp's (and Telegram's) 4,096 characters per message.
MAX_CHARS = 4000


def rt_label(rt: RT) -> str:
    """`RT 003 Kel. Simpang IV Sipin (Kelompok A)`: the pendamping plans by Kelompok; the kelurahan must be loaded."""
    return _("{rt} (group {kelompok})", rt=rt_nama(rt.nomor, rt.kelurahan.nama), kelompok=rt.kelompok)


def person_label(person: Person) -> str:
    return _("{name} (as {role})", name=person.nama or "-", role=role_name(person.role))


def stage_names(states: list[StageState]) -> str:
    names = ", ".join(s.stage.nama for s in states[:MAX_NAMES])
    if len(states) <= MAX_NAMES:
        return names
    return _("{names} +{count} more", names=names, count=len(states) - MAX_NAMES)


def status_line(rt: RT, states: list[StageState]) -> str:
    """One RT's progress: what is late, sent back, waiting, due; else what comes next."""
    parts = []
    late = [s for s in states if s.late]
    if late:
        parts.append(_("⚠️ {count} late: {stages}", count=len(late), stages=stage_names(late)))
    sent_back = [s for s in states if s.status == StageStatus.DIKEMBALIKAN and not s.late]
    if sent_back:
        parts.append(_("↩️ sent back: {stages}", stages=stage_names(sent_back)))
    waiting = [s for s in states if s.status == StageStatus.MENUNGGU_TINJAUAN]
    if waiting:
        parts.append(_("🕓 {count} waiting for review", count=len(waiting)))
    due = [s for s in states if s.status == StageStatus.JATUH_TEMPO]
    if due:
        parts.append(_("📅 this month: {stages}", stages=stage_names(due)))
    if not parts:
        upcoming = next((s for s in states if s.status == StageStatus.AKAN_DATANG), None)
        if upcoming is not None:
            parts.append(_("next: {stage} ({month})", stage=upcoming.stage.nama, month=bulan(upcoming.months[0])))
        else:
            parts.append(_("✅ all stages done"))
    return f"{rt_label(rt)} — {'; '.join(parts)}"


def capped(lines: list[str]) -> list[str]:
    """At most TOP lines, and a count of the rest."""
    if len(lines) <= TOP:
        return lines
    return [*lines[:TOP], _("…and {count} more.", count=len(lines) - TOP)]


def as_messages(lines: list[str]) -> list[Reply]:
    """The lines as one message, or several when they would not fit in one."""
    replies: list[Reply] = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line])) > MAX_CHARS:
            replies.append(Reply("\n".join(current)))
            current = []
        current.append(line[:MAX_CHARS])
    if current:
        replies.append(Reply("\n".join(current)))
    return replies
