"""Registration: an invitation code binds this channel identity to a person, role and RT."""

from handlers import seats
from handlers.context import Context
from handlers.flows import nama
from handlers.formatting import rt_nama_dari_kode, waktu
from handlers.i18n import _
from handlers.menu import menu_reply, role_name
from handlers.messages import Expect, Kind, Reply
from handlers.problems import describe
from handlers.sapaan import sapaan
from services import code_attempts, invitations
from services.models import RT
from services.problems import Problem, ProblemError
from services.visible_text import visible_name

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
    """The role and RT (`Ketua RT untuk RT …`); the name is said in the greeting (handlers/sapaan.py)."""
    person = ctx.person
    rt = await ctx.session.get(RT, person.rt_id) if person.rt_id else None
    role = role_name(person.role)
    return _("{role} of {rt}", role=role, rt=rt_nama_dari_kode(rt.kode)) if rt is not None else role


async def start(ctx: Context, args: str) -> list[Reply]:
    if ctx.person is not None:
        greeting, what = sapaan(ctx.person), await who_am_i(ctx)
        if args and invitations.looks_like_code(args):
            text = _(
                "{greeting} is already registered as {what}. This code was not used.", greeting=greeting, what=what
            )
            return [Reply(text), menu_reply(ctx.person.role)]
        text = _("Welcome back, {greeting}. You are registered as {what}.", greeting=greeting, what=what)
        return [Reply(text), menu_reply(ctx.person.role)]
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


def _an_attempt_at_a_code(typed: str) -> bool:
    """One word of letters and digits about a code's length ("ABCD-EFG", "abcd efgh1"): a mistyped code, not a
    greeting."""
    squeezed = typed.strip().replace("-", "").replace(" ", "")
    return (
        6 <= len(squeezed) <= 12
        and squeezed.isalnum()
        and len(typed.split()) <= 2
        and any(c.isdigit() or c.isupper() for c in squeezed)
    )


async def try_code(ctx: Context, typed: str) -> list[Reply]:
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    locked = await code_attempts.chat_locked_until(ctx.session, channel, user_id, ctx.now)
    if locked is not None:
        return [Reply(_("Too many wrong codes. For your safety, please try again after {time}.", time=waktu(locked)))]
    if not invitations.looks_like_code(typed):
        if not _an_attempt_at_a_code(typed):
            return [ask_code_reply()]  # "halo", "selamat pagi": someone new, who needs the welcome first
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
            redeemed = await invitations.redeem(
                ctx.session, ctx.pepper, typed, channel=channel, external_id=user_id, now=ctx.now
            )
    except ProblemError as error:
        problem = error.problems[0]
        if problem.code not in NOT_GUESSES:
            await code_attempts.record_wrong(ctx.session, channel, user_id, ctx.now)
        if problem.code == "seat_taken":
            return [await _seat_taken(ctx, problem)]
        return [Reply(describe(problem))]
    person = redeemed.person
    # The invitation named them (the CLI's --nama, a roster pendamping, a second channel): nothing to ask.
    named = bool(person.nama)
    if not named:
        # Until they answer, the chat app's name is better than none ("Sent by -").
        person.nama = (visible_name(ctx.incoming.display_name) or "")[:120]
    ctx.person = person
    if redeemed.replaced is not None:
        await seats.handed_over(ctx, redeemed.replaced, person)
    done = Reply(
        _(
            "Registration successful. {greeting} is registered as {what}.",
            greeting=sapaan(person) if named else _("Mr/Ms"),
            what=await who_am_i(ctx),
        )
    )
    if named:
        return [done, menu_reply(ctx.person.role)]
    return [done, await nama.begin(ctx)]


async def _seat_taken(ctx: Context, problem: Problem) -> Reply:
    """Who holds the seat (by role and name) and whom to ask; the code was not used."""
    rt = await ctx.session.get(RT, problem.params["rt_id"])
    seat = await seats.taken_text(ctx, problem.params["role"], rt, problem.params["rt"], problem.params["nama"])
    return Reply(_("This code was not used.") + " " + seat)
