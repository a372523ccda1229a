"""Registration: an invitation code binds this channel identity to a person, role and RT."""

from handlers import seats
from handlers.context import Context
from handlers.formatting import rt_nama_dari_kode, waktu
from handlers.i18n import _
from handlers.menu import menu_reply, role_name
from handlers.messages import Expect, Kind, Reply
from handlers.problems import describe
from services import code_attempts, invitations
from services.models import RT
from services.problems import Problem, ProblemError

# Refusals that are not guesses: the code was real (someone else was faster, or the seat is taken). They do not
# count towards the locks.
NOT_GUESSES = ("invite_just_used", "seat_taken")


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
    what = _("{role} of {rt}", role=role, rt=rt_nama_dari_kode(rt.kode)) if rt is not None else role
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


async def inactive(ctx: Context) -> list[Reply]:
    """A person no longer active (another holds their seat): only a new invitation code is taken from them."""
    incoming = ctx.incoming
    typed = incoming.args if incoming.kind == Kind.COMMAND and incoming.command == "start" else ""
    typed = typed or (incoming.text if incoming.kind == Kind.TEXT else "")
    if typed and invitations.looks_like_code(typed):
        ctx.person = None  # redeeming binds this chat to the person the new code is for
        return await try_code(ctx, typed)
    return [
        Reply(
            _(
                "This account is no longer active in the bot. If that is a mistake, please contact the pendamping.\n"
                "With a new invitation code, type it here (for example ABCD-EFGH)."
            )
        )
    ]


async def try_code(ctx: Context, typed: str) -> list[Reply]:
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    locked = await code_attempts.chat_locked_until(ctx.session, channel, user_id, ctx.now)
    if locked is not None:
        return [Reply(_("Too many wrong codes. For your safety, please try again after {time}.", time=waktu(locked)))]
    if not invitations.looks_like_code(typed):
        # Said once: what a code looks like, and to type it again (the welcome would repeat the example).
        return [
            Reply(
                _(
                    "That does not look like an invitation code. A code has 8 letters and numbers, "
                    "for example ABCD-EFGH."
                )
            )
        ]
    paused = await code_attempts.all_locked_until(ctx.session, ctx.now)
    if paused is not None:
        # Not checked at all: while someone may be guessing, a right code must not be confirmed either.
        return [
            Reply(
                _(
                    "Too many code attempts in the last hour. For safety, codes are not checked until {time}. "
                    "Please send the code again after that time.",
                    time=waktu(paused),
                )
            )
        ]
    try:
        # A savepoint: a refused code leaves nothing of the redemption behind (the claim, a new person, identity).
        async with ctx.session.begin_nested():
            person = await invitations.redeem_invitation(
                ctx.session, ctx.pepper, typed, channel=channel, external_id=user_id, now=ctx.now
            )
    except ProblemError as error:
        problem = error.problems[0]
        if problem.code not in NOT_GUESSES:
            await code_attempts.record_wrong(ctx.session, channel, user_id, ctx.now)
        if problem.code == "seat_taken":
            return [await _seat_taken(ctx, problem)]
        return [Reply(describe(problem))]
    if not person.nama and ctx.incoming.display_name:
        person.nama = ctx.incoming.display_name[:120]
    ctx.person = person
    return [
        Reply(_("Registration successful. You are registered as {who}.", who=await who_am_i(ctx))),
        menu_reply(ctx.person.role),
    ]


async def _seat_taken(ctx: Context, problem: Problem) -> Reply:
    """Who holds the seat (by role and name) and whom to ask; the code was not used."""
    rt = await ctx.session.get(RT, problem.params["rt_id"])
    seat = await seats.taken_text(ctx, problem.params["role"], rt, problem.params["rt"], problem.params["nama"])
    return Reply(_("This code was not used.") + " " + seat)
