"""What fills a WhatsApp template's `{{n}}` for one queued message, in the recipient's language.

Outside a person's 24-hour window only an approved template may go (services/whatsapp_templates.py). The outbox row
says what it is for (`purpose`); the facts only its sender knows (a reminder's month and stages) ride along in the
payload under `TEMPLATE_FACTS`; the rest (name, RT, the message's own text) is read here when it is sent.
None: the values cannot be made (a fact missing); the delivery policy then sends the opener instead.
"""

import calendar
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.formatting import bulan, rt_nama, tanggal
from handlers.i18n import use_locale
from handlers.menu import role_name
from handlers.payload import PURPOSE
from services.models import RT, Kelurahan, Person, Role
from services.reminders import SUSULAN, Reminder
from services.whatsapp_templates import Template

TEMPLATE_FACTS = "template_facts"
# Room for a stage list in one parameter: a template body is at most 1,024 characters with its values.
MAX_LIST = 300
MAX_BODY = 1024
ELLIPSIS = "…"
PROGRAM = "Kampung Bahagia"  # a name: the same in every language


def one_line(text: str) -> str:
    return " ".join(text.split())


def cut(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


async def place_of(session: AsyncSession, person: Person | None) -> str:
    """ "RT 001 Kel. Simpang IV Sipin" for someone of an RT (BAHASA.md), else their role."""
    if person is None:
        return PROGRAM
    if person.rt_id is not None:
        rt = await session.get(RT, person.rt_id)
        kelurahan = await session.get(Kelurahan, rt.kelurahan_kode) if rt is not None else None
        if rt is not None and kelurahan is not None:
            return rt_nama(rt.nomor, kelurahan.nama)
    return role_name(person.role)


async def template_values(
    session: AsyncSession, template: Template, person_id: int | None, payload: dict
) -> tuple[str, ...] | None:
    person = await session.get(Person, person_id) if person_id is not None else None
    with use_locale(person.locale if person is not None else None):
        name = (person.nama if person is not None else "") or "-"
        place = await place_of(session, person)
        facts = payload.get(TEMPLATE_FACTS) or {}
        purpose = template.purpose
        if purpose in ("pengingat_bulanan", "pengingat_bendahara"):
            if not facts.get("month") or not facts.get("stages"):
                return None
            return (name, facts["month"], place, facts["stages"])
        if purpose == "pengingat_susulan":
            if not facts.get("stages") or not facts.get("deadline"):
                return None
            return (facts["stages"], place, facts["deadline"])
        if purpose == "pemberitahuan":
            text = one_line(str(payload.get("text") or ""))
            if not text:
                return None
            room = MAX_BODY - len(template.filled((place, "")))
            return (place, cut(text, room))
        if purpose == "buka_percakapan":
            return (name, place)
    return None


# ---- what a reminder's row carries (handlers/reminders.py queues it) ----------------------------------------
def _end_of(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def reminder_fields(reminder: Reminder) -> dict:
    """`purpose` and the facts of a reminder's template, in the recipient's language, for its outbox payload."""
    if reminder.role not in (Role.KETUA_RT, Role.BENDAHARA) or not reminder.agendas:
        return {PURPOSE: "pemberitahuan"}  # a pendamping's digest: its text goes as a general notification
    agenda = reminder.agendas[0]
    with use_locale(reminder.locale):
        if reminder.kind == SUSULAN and reminder.role == Role.KETUA_RT and agenda.overdue:
            deadline = min(_end_of(s.months[-1]) for s in agenda.overdue)
            facts = {
                "stages": cut(", ".join(s.stage.nama for s in agenda.overdue), MAX_LIST),
                "deadline": tanggal(deadline),
            }
            return {PURPOSE: "pengingat_susulan", TEMPLATE_FACTS: facts}
        states = agenda.opening + agenda.due + agenda.overdue + agenda.sent_back
        facts = {"month": bulan(reminder.today), "stages": cut(", ".join(s.stage.nama for s in states), MAX_LIST)}
    purpose = "pengingat_bendahara" if reminder.role == Role.BENDAHARA else "pengingat_bulanan"
    return {PURPOSE: purpose, TEMPLATE_FACTS: facts}
