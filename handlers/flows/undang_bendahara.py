"""/undang_bendahara — the Ketua RT makes the invitation code for the Pokja treasurer of their RT.

Only one code should be usable at a time: when an unused one exists, a new one replaces (revokes) it. An RT has one
Bendahara Pokja (services/seats.py): while one is registered no code is made, since it could never be used.
"""

from sqlalchemy import select

from handlers import seats as seat_text
from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.flows.ketua_common import KETUA, no_rt, own_rt, picked, rt_name
from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Reply
from handlers.yes_no import NO, YES
from services import invitations, seats
from services.models import RT, Invitation, Role

REPLACE_WORDS = {"new": (*YES, "baru", "buat", "1"), "keep": (*NO, "simpan", "2")}


async def _active(ctx: Context, rt_id: int) -> list[Invitation]:
    rows = await ctx.session.scalars(
        select(Invitation)
        .where(
            Invitation.rt_id == rt_id,
            Invitation.role == Role.BENDAHARA.value,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.id)
    )
    return [i for i in rows if invitations.invitation_state(i, ctx.now) == "active"]


async def _seat_taken(ctx: Context, rt: RT) -> Finish | None:
    """The RT already has an active Bendahara Pokja: say who, and make no code."""
    holder = await seats.holder(ctx.session, rt.id, Role.BENDAHARA.value)
    if holder is None:
        return None
    seat = await seat_text.taken_text(ctx, Role.BENDAHARA.value, rt, rt.kode, holder.nama)
    return Finish((Reply(_("No new code was made.") + " " + seat),))


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    if rt is None:
        return no_rt()
    if (taken := await _seat_taken(ctx, rt)) is not None:
        return taken
    if await _active(ctx, rt.id):
        return Goto("replace")
    return Finish((await _issue(ctx),))


async def ask_replace(ctx: Context, data: Data) -> Reply:
    rt = await own_rt(ctx)
    existing = (await _active(ctx, rt.id))[-1]
    text = _(
        "You already made a code for the Bendahara on {date} (it ends with {hint}); it has not been used yet "
        "and works until {until}.\nMake a new code? The old code will stop working.",
        date=tanggal(existing.created_at),
        hint=existing.code_hint,
        until=tanggal(existing.expires_at),
    )
    return Reply(text, (Choice("new", _("Make a new code")), Choice("keep", _("Keep the old code"))), Expect.CHOICE)


async def handle_replace(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    pressed = picked(incoming, REPLACE_WORDS)
    if pressed is None:
        return Stay(_("Please press one of the buttons: make a new code, or keep the old one."))
    if pressed == "keep":
        return Finish((Reply(_("OK, the old code still works. Give it to your Bendahara Pokja.")),))
    rt = await own_rt(ctx)
    # The Bendahara Pokja may have registered with the old code while this question was open.
    if (taken := await _seat_taken(ctx, rt)) is not None:
        return taken
    for old in await _active(ctx, rt.id):
        await invitations.revoke_invitation(ctx.session, old.id, actor=ctx.actor, now=ctx.now)
    return Finish((await _issue(ctx),))


async def _issue(ctx: Context) -> Reply:
    rt = await own_rt(ctx)
    issued = await invitations.create_invitation(
        ctx.session, ctx.pepper, role=Role.BENDAHARA, created_by=ctx.actor, rt=rt, now=ctx.now
    )
    code = invitations.display_code(issued.code)
    return Reply(
        _(
            "Invitation code for the Bendahara Pokja of {rt}: {code}\n"
            "Give this code to your treasurer. They open this bot and send:\n/start {code}\n"
            "The code works once, until {until}.",
            rt=await rt_name(ctx, rt),
            code=code,
            until=tanggal(issued.invitation.expires_at),
        )
    )


FLOW = Flow(
    name="undang_bendahara",
    roles=KETUA,
    start=start,
    steps={"replace": Step(ask_replace, handle_replace)},
)
