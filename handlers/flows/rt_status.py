"""`/rt`: a pendamping's RTs (an admin: the whole city) on one phone screen, then the list behind each number.

The summary counts the RTs that need attention by reason (late, sent back, waiting for review, a Ketua RT or
Bendahara not registered, people the bot cannot reach), leaving out whatever is zero, with one button per reason.
A button opens that list, ten lines a page (Sebelumnya / Berikutnya). In the list of RTs whose Ketua RT or
Bendahara has not registered, each RT has a button for a fresh invitation code (handlers/flows/rt_invite.py).

The buttons are actions (`act:rt:<group>:<page>`), not steps: /rt only reads, so pressing one never disturbs a
conversation the pendamping is in the middle of, and an old button still shows the list as it is now.
"""

from dataclasses import dataclass

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome, action_choice_id
from handlers.flows import rt_invite
from handlers.flows.pendamping_format import person_label, rt_label, status_line
from handlers.formatting import number, tanggal
from handlers.i18n import _
from handlers.menu import role_name
from handlers.messages import Choice, Expect, Reply
from services.assignments import rts_for
from services.contacts import Unreachable, undeliverable, unreachable, unregistered_seats
from services.models import RT, Role
from services.schedule import StageState, StageStatus, stage_states_for_rts, urgency

ACTION = "rt"
PAGE = 10
SUMMARY = "ringkasan"


@dataclass
class Overview:
    """Everything /rt shows, computed afresh for every screen."""

    rts: list[RT]
    states: dict[int, list[StageState]]
    missing: dict[int, list[str]]  # RT id → seats nobody has registered to
    blocked: list[Unreachable]
    not_delivered: list[Unreachable]

    def ordered(self, keep=lambda rt: True) -> list[RT]:
        return sorted((rt for rt in self.rts if keep(rt)), key=lambda rt: (urgency(self.states[rt.id]), rt.kode))

    def late(self) -> list[RT]:
        return self.ordered(lambda rt: any(s.late for s in self.states[rt.id]))

    def sent_back(self) -> list[RT]:
        return self.ordered(
            lambda rt: any(s.status == StageStatus.DIKEMBALIKAN and not s.late for s in self.states[rt.id])
        )

    def waiting(self) -> list[RT]:
        return self.ordered(lambda rt: any(s.status == StageStatus.MENUNGGU_TINJAUAN for s in self.states[rt.id]))

    def waiting_reports(self) -> int:
        return sum(1 for per_rt in self.states.values() for s in per_rt if s.status == StageStatus.MENUNGGU_TINJAUAN)

    def unregistered(self) -> list[RT]:
        return [rt for rt in self.rts if rt.id in self.missing]

    def unreachable_people(self) -> list[Unreachable]:
        return [*self.blocked, *self.not_delivered]


async def overview(ctx: Context) -> Overview:
    rts = await rts_for(ctx.session, ctx.person)
    ids = [rt.id for rt in rts]
    return Overview(
        rts,
        await stage_states_for_rts(ctx.session, ctx.program, rts, ctx.today),
        await unregistered_seats(ctx.session, ids),
        await unreachable(ctx.session, ids),
        await undeliverable(ctx.session, ids),
    )


async def start(ctx: Context, data: Data) -> Outcome:
    seen = await overview(ctx)
    if not seen.rts:
        return Finish((Reply(_("No RT is assigned to you yet. Please contact the admin (DPMPPA).")),))
    return Finish((summary(ctx, seen),))


# --- the summary -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str
    count: int
    line: str  # in the summary
    button: str


def _groups(seen: Overview) -> list[Group]:
    """The reasons for attention with their counts; a reason with nothing in it is left out."""
    late, back, waiting = len(seen.late()), len(seen.sent_back()), len(seen.waiting())
    unregistered, people = len(seen.unregistered()), len(seen.unreachable_people())
    groups = [
        Group("late", late, _("⚠️ behind schedule: {count} RT", count=number(late)), _("Late ({count})", count=late)),
        Group(
            "back",
            back,
            _("↩️ sent back to be fixed: {count} RT", count=number(back)),
            _("Sent back ({count})", count=back),
        ),
        Group(
            "review",
            waiting,
            _("⏳ reports waiting to be checked: {count} (send /tinjau)", count=number(seen.waiting_reports())),
            _("To review ({count})", count=waiting),
        ),
        Group(
            "seat",
            unregistered,
            _("👤 Ketua RT or Bendahara not registered: {count} RT", count=number(unregistered)),
            _("Not registered ({count})", count=unregistered),
        ),
        Group(
            "contact",
            people,
            _("📵 cannot be reached by the bot: {count} people", count=number(people)),
            _("Unreachable ({count})", count=people),
        ),
    ]
    return [g for g in groups if g.count]


def _attention(seen: Overview) -> int:
    ids = {rt.id for rt in (*seen.late(), *seen.sent_back(), *seen.waiting(), *seen.unregistered())}
    ids |= {item.person.rt_id for item in seen.unreachable_people()}
    return len(ids)


def summary(ctx: Context, seen: Overview) -> Reply:
    total = len(seen.rts)
    if ctx.person.role == Role.ADMIN:
        head = _(
            "Jambi city: {total} RTs (Kelompok A: {a}, Kelompok B: {b}).",
            total=number(total),
            a=number(sum(1 for rt in seen.rts if rt.kelompok == "A")),
            b=number(sum(1 for rt in seen.rts if rt.kelompok == "B")),
        )
    else:
        head = _("Your RTs: {total}.", total=number(total))
    groups = _groups(seen)
    if groups:
        lines = [head, _("Need attention: {count} RT.", count=number(_attention(seen))), *(g.line for g in groups)]
        lines += ["", _("Press a button to see the list.")]
    else:
        lines = [head, _("Nothing needs your attention now. 👍")]
    choices = [Choice(action_choice_id(ACTION, f"{g.key}:0"), g.button) for g in groups]
    choices.append(Choice(action_choice_id(ACTION, "all:0"), _("All RTs ({count})", count=total)))
    return Reply("\n".join(lines), tuple(choices), Expect.CHOICE)


# --- one group, a page at a time -------------------------------------------------------------------------------


def _contact_lines(seen: Overview) -> list[str]:
    """Blocked the bot, or WhatsApp could not deliver: the same line, with its own reason and date."""
    by_id = {rt.id: rt for rt in seen.rts}

    def line(item: Unreachable, reason: str) -> str:
        return f"{rt_label(by_id[item.person.rt_id])}: {person_label(item.person)} — {reason}"  # nothing to translate

    return [
        *(line(i, _("blocked the bot since {date}", date=tanggal(i.identity.unreachable_at))) for i in seen.blocked),
        *(
            line(i, _("WhatsApp messages not delivered since {date}", date=tanggal(i.identity.undeliverable_at)))
            for i in seen.not_delivered
        ),
    ]


def _seat_line(rt: RT, roles: list[str]) -> str:
    return _("{rt} — not registered: {roles}", rt=rt_label(rt), roles=", ".join(role_name(role) for role in roles))


def _group_page(seen: Overview, key: str) -> tuple[str, list[str], list[RT], str | None]:
    """(title, every line, the RT of each line when lines are RTs, a closing hint)."""
    if key == "late":
        rts = seen.late()
        return _("RTs behind schedule, most urgent first:"), _status(seen, rts), rts, None
    if key == "back":
        rts = seen.sent_back()
        return _("RTs with a report sent back to be fixed:"), _status(seen, rts), rts, None
    if key == "review":
        rts = seen.waiting()
        return _("RTs with reports waiting for review:"), _status(seen, rts), rts, _("Send /tinjau to review them.")
    if key == "seat":
        rts = seen.unregistered()
        hint = _("Press an RT to get a new invitation code to pass on.")
        return _("RTs whose Ketua RT or Bendahara has not registered:"), _seat_lines(seen, rts), rts, hint
    if key == "contact":
        hint = _("The bot keeps trying. Meanwhile please contact them directly.")
        return _("People the bot cannot reach:"), _contact_lines(seen), [], hint
    rts = seen.ordered()
    return _("All RTs, most urgent first:"), _status(seen, rts), rts, None


def _status(seen: Overview, rts: list[RT]) -> list[str]:
    return [status_line(rt, seen.states[rt.id]) for rt in rts]


def _seat_lines(seen: Overview, rts: list[RT]) -> list[str]:
    return [_seat_line(rt, seen.missing[rt.id]) for rt in rts]


def page_reply(seen: Overview, key: str, page: int) -> Reply:
    title, lines, rts, hint = _group_page(seen, key)
    pages = max(1, -(-len(lines) // PAGE))
    page = min(max(page, 0), pages - 1)  # the list may have shrunk since the button was sent
    shown = slice(page * PAGE, (page + 1) * PAGE)
    text = [title, *(lines[shown] or [_("Nothing here any more.")])]
    footer = [_("Page {page} of {pages}.", page=page + 1, pages=pages)] if pages > 1 else []
    if hint and lines:
        footer.append(hint)
    if footer:
        text += ["", *footer]
    choices = []
    if key == "seat":
        choices += [rt_invite.choice(rt) for rt in rts[shown]]
    if page > 0:
        choices.append(Choice(action_choice_id(ACTION, f"{key}:{page - 1}"), _("Previous")))
    if page < pages - 1:
        choices.append(Choice(action_choice_id(ACTION, f"{key}:{page + 1}"), _("Next")))
    choices.append(Choice(action_choice_id(ACTION, f"{SUMMARY}:0"), _("Summary")))
    return Reply("\n".join(text), tuple(choices), Expect.CHOICE)


async def show(ctx: Context, argument: str) -> list[Reply]:
    """The button of a summary or a page: `<group>:<page>`."""
    key, _sep, page = argument.partition(":")
    seen = await overview(ctx)
    if not seen.rts:
        return [Reply(_("No RT is assigned to you yet. Please contact the admin (DPMPPA)."))]
    if key == SUMMARY:
        return [summary(ctx, seen)]
    return [page_reply(seen, key, int(page) if page.isdigit() else 0)]


FLOW = Flow(
    name="rt",
    roles=frozenset({Role.PENDAMPING, Role.ADMIN}),
    start=start,
    actions={ACTION: show, rt_invite.ACTION: rt_invite.invite},
)
