"""A fresh invitation code for an RT's Ketua RT or Bendahara who has not registered, made by its pendamping in /rt.

The button `act:rtundang:<rt id>[:<role>]`: with one seat open the code is made at once; with both open the
pendamping picks whose. The code is shown once (stored hashed), any unused code for that seat stops working, and the
second message is written to be forwarded as it is: the code, and the one-tap links of the channels the bot runs on.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.context import Context
from handlers.flow import action_choice_id
from handlers.flows.pendamping_format import rt_label
from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.menu import role_name
from handlers.messages import Choice, Expect, Reply
from services import invitations, numbers
from services.assignments import may_see
from services.contacts import unregistered_seats
from services.models import RT, Role
from services.problems import ProblemError

ACTION = "rtundang"


def choice(rt: RT) -> Choice:
    return Choice(action_choice_id(ACTION, rt.id), _("Code for {rt}", rt=rt_label(rt)))


async def invite(ctx: Context, argument: str) -> list[Reply]:
    rt_text, _sep, role_text = argument.partition(":")
    rt_id = numbers.record_id(rt_text)
    rt = None
    if rt_id is not None:
        rt = await ctx.session.scalar(select(RT).options(selectinload(RT.kelurahan)).where(RT.id == rt_id))
    if rt is None or not may_see(ctx.person, rt):
        return [Reply(_("This RT is not one of yours. Send /rt to see your RTs."))]
    missing = (await unregistered_seats(ctx.session, [rt.id])).get(rt.id, [])
    if not missing:
        return [Reply(_("{rt}: the Ketua RT and the Bendahara have both registered already.", rt=rt_label(rt)))]
    if not role_text and len(missing) > 1:
        return [_which_seat(rt, missing)]
    role = role_text or missing[0]
    if role not in missing:
        return [_already(rt, role)]
    try:
        issued, revoked = await invitations.reissue_for_seat(
            ctx.session, ctx.pepper, rt=rt, role=Role(role), created_by=ctx.actor, now=ctx.now
        )
    except ProblemError:  # registered at this very moment
        return [_already(rt, role)]
    return [_note(rt, role, revoked), _to_forward(ctx, rt, role, issued)]


def _already(rt: RT, role: str) -> Reply:
    return Reply(_("{rt}: the {role} has registered already. No code was made.", rt=rt_label(rt), role=role_name(role)))


def _which_seat(rt: RT, missing: list[str]) -> Reply:
    return Reply(
        _("{rt}: neither the Ketua RT nor the Bendahara has registered. Whose invitation code?", rt=rt_label(rt)),
        tuple(Choice(action_choice_id(ACTION, f"{rt.id}:{role}"), role_name(role)) for role in missing),
        Expect.CHOICE,
    )


def _note(rt: RT, role: str, revoked: int) -> Reply:
    text = _("New invitation code for the {role} of {rt}.", role=role_name(role), rt=rt_label(rt))
    if revoked:
        text += " " + _("The earlier code that was not used no longer works.")
    return Reply(text + "\n" + _("Forward the next message to them (or read them the code)."))


def _to_forward(ctx: Context, rt: RT, role: str, issued: invitations.IssuedInvitation) -> Reply:
    code = invitations.display_code(issued.code)
    links = ctx.settings.get("invite_links", lambda _code: {})(issued.code)
    lines = [_("Invitation to the Kampung Bahagia bot for the {role} of {rt}.", role=role_name(role), rt=rt_label(rt))]
    if "telegram" in links:
        lines.append(_("Telegram, one tap: {link}", link=links["telegram"]))
    if "whatsapp" in links:
        lines.append(_("WhatsApp, one tap: {link}", link=links["whatsapp"]))
    lines += [
        _("Or open the bot and send: /start {code}", code=code),
        _("The code works once, until {until}.", until=tanggal(issued.invitation.expires_at)),
    ]
    return Reply("\n".join(lines))
