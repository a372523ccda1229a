"""`/nama`: the person's name, asked right after registering when the invitation carried none (a treasurer invited
from the chat, a pendamping listed by phone). Without it the pendamping reads "Sent by -" on a report.
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.i18n import _
from handlers.menu import menu_reply
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.sapaan import sapaan
from handlers.state import enter, load_state
from services import audit
from services.models import Role
from services.visible_text import visible_name

NAME = "nama"
STEP = "tanya"
MAX_NAME = 120
# The name the chat app gives (Telegram's first and last name), offered as a button: often right, never assumed.
SHOWN = "shown"


async def begin(ctx: Context) -> Reply:
    """Open the question from outside a flow (registration): the person's next message is their name."""
    state = await load_state(ctx.session, ctx.incoming.channel, ctx.incoming.user_id)
    enter(state, NAME, STEP)
    return await ask(ctx, {})


async def start(ctx: Context, data: Data) -> Outcome:
    return Goto(STEP)


def _shown_name(ctx: Context) -> str | None:
    name = visible_name(ctx.incoming.display_name)
    return name[:MAX_NAME] if name else None


async def ask(ctx: Context, data: Data) -> Reply:
    text = _("What is your name? Type your full name, for example Siti Aminah.")
    shown = ctx.person.nama or _shown_name(ctx)
    if shown:
        return Reply(text, (Choice(SHOWN, shown),), Expect.TEXT)
    return Reply(text, expect=Expect.TEXT)


async def handle(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind == Kind.CHOICE and incoming.choice == SHOWN:
        name = ctx.person.nama or _shown_name(ctx)
    elif incoming.kind == Kind.TEXT:
        name = visible_name(incoming.text)
    else:
        return Stay(_("Please type your name as a message, for example Siti Aminah."))
    if not name or not any(ch.isalpha() for ch in name):
        return Stay(_("Please type your name with letters, for example Siti Aminah."))
    if len(name) > MAX_NAME:
        return Stay(_("That name is too long. Please type at most {maximum} characters.", maximum=MAX_NAME))
    before = ctx.person.nama
    ctx.person.nama = name
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="person.name",
        entity="person",
        entity_id=ctx.person.id,
        person_id=ctx.person.id,
        before=before,
        after=name,
    )
    return Finish((Reply(_("Thank you, {greeting}.", greeting=sapaan(ctx.person))), menu_reply(ctx.person.role)))


FLOW = Flow(name=NAME, roles=frozenset(Role), start=start, steps={STEP: Step(ask, handle)})
