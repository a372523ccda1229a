"""Registration: an invitation code binds this channel identity to a person, role and RT."""

from datetime import timedelta

from sqlalchemy import func, select

from handlers.context import Context
from handlers.formatting import waktu
from handlers.i18n import _
from handlers.menu import menu_reply, role_name
from handlers.messages import Expect, Reply
from handlers.problems import describe
from services import invitations
from services.models import RT, CodeAttempt
from services.problems import ProblemError

MAX_WRONG_CODES = 5
LOCK_WINDOW = timedelta(hours=1)


def ask_code_reply() -> Reply:
    return Reply(
        _(
            "Welcome to the Kampung Bahagia bot of Kota Jambi.\n"
            "Please type the invitation code you received from your pendamping (for example ABCD-EFGH)."
        ),
        expect=Expect.TEXT,
    )


async def who_am_i(ctx: Context) -> str:
    person = ctx.person
    rt = await ctx.session.get(RT, person.rt_id) if person.rt_id else None
    role = role_name(person.role)
    what = _("{role} for RT {rt}", role=role, rt=rt.kode) if rt is not None else role
    # Registered from a channel that gives no name (the console): say the role alone, not "-, Ketua RT".
    return _("{name}, {what}", name=person.nama, what=what) if person.nama else what


async def start(ctx: Context, args: str) -> list[Reply]:
    if ctx.person is not None:
        if args and invitations.looks_like_code(args):
            return [
                Reply(_("You are already registered as {who}. This code was not used.", who=await who_am_i(ctx))),
                menu_reply(ctx.person.role),
            ]
        return [Reply(_("Welcome back, {who}.", who=await who_am_i(ctx))), menu_reply(ctx.person.role)]
    if args:
        return await try_code(ctx, args)
    return [ask_code_reply()]


async def unregistered(ctx: Context, text: str) -> list[Reply]:
    """Someone we do not know wrote something: it may be their code."""
    if text.strip():
        return await try_code(ctx, text)
    return [ask_code_reply()]


async def _locked_until(ctx: Context):
    since = ctx.now - LOCK_WINDOW
    count, latest = (
        await ctx.session.execute(
            select(func.count(), func.max(CodeAttempt.at)).where(
                CodeAttempt.channel == ctx.incoming.channel,
                CodeAttempt.user_id == ctx.incoming.user_id,
                CodeAttempt.at > since,
            )
        )
    ).one()
    if count >= MAX_WRONG_CODES:
        return latest + LOCK_WINDOW
    return None


async def try_code(ctx: Context, typed: str) -> list[Reply]:
    locked = await _locked_until(ctx)
    if locked is not None:
        return [Reply(_("Too many wrong codes. For your safety, please try again after {time}.", time=waktu(locked)))]
    if not invitations.looks_like_code(typed):
        return [
            Reply(
                _(
                    "That does not look like an invitation code. A code has 8 letters and numbers, "
                    "for example ABCD-EFGH."
                )
            ),
            ask_code_reply(),
        ]
    try:
        async with ctx.session.begin_nested():
            person = await invitations.redeem_invitation(
                ctx.session,
                ctx.pepper,
                typed,
                channel=ctx.incoming.channel,
                external_id=ctx.incoming.user_id,
                now=ctx.now,
            )
    except ProblemError as error:
        ctx.session.add(CodeAttempt(channel=ctx.incoming.channel, user_id=ctx.incoming.user_id, at=ctx.now))
        return [Reply(describe(error.problems[0]))]
    if not person.nama and ctx.incoming.display_name:
        person.nama = ctx.incoming.display_name[:120]
    ctx.person = person
    return [
        Reply(_("Registration successful. You are registered as {who}.", who=await who_am_i(ctx))),
        menu_reply(ctx.person.role),
    ]
