"""A command sent in the middle of a flow: nothing typed is thrown away without asking.

- A read-only command (/jadwal, /saldo, /rt, /bantuan, /menu as a list) answers, then the open question is asked
  again; the flow stays where it was.
- A command that starts another flow first asks "… is not finished. Leave it and start /kk?" (Continue / Leave).
  The command waiting for that answer is kept in the flow's data under `PENDING`, so the question survives a
  restart like any other; the flow's own steps never see it.
- Leaving a flow (that answer, or /batal) lets the flow keep its work first (`Flow.leave`: /lapor keeps a draft).
"""

from collections.abc import Awaitable, Callable

from handlers.context import Context
from handlers.flow import Finish, Flow
from handlers.i18n import _
from handlers.menu import help_reply, role_commands
from handlers.messages import Choice, Expect, Kind, Reply
from handlers.state import enter, save_data
from services.models import ConversationState

PENDING = "_leave_for"
READ_ONLY = frozenset({"jadwal", "saldo", "rt"})
# Commands the engine handles as before in a flow: /start with a code registers, /batal leaves, /bahasa is its own
# question.
ENGINE_OWN = frozenset({"start", "batal", "bahasa"})
CONTINUE, LEAVE = "stay:continue", "stay:leave"
TYPED = {"lanjutkan": CONTINUE, "lanjut": CONTINUE, "continue": CONTINUE, "tinggalkan": LEAVE, "leave": LEAVE}

AskCurrent = Callable[[Context, ConversationState], Awaitable[list[Reply]]]
RunCommand = Callable[[Context, ConversationState, str, str], Awaitable[list[Reply]]]


def pending(state: ConversationState) -> bool:
    return state.flow is not None and PENDING in (state.data or {})


async def intercept(
    ctx: Context,
    state: ConversationState,
    flows: dict[str, Flow],
    ask_current: AskCurrent,
    command: str,
    args: str,
) -> list[Reply] | None:
    """The answer to a command sent while a flow is open; None when the engine handles it as usual."""
    current = flows.get(state.flow or "")
    if current is None or ctx.person is None:
        return None
    role = ctx.person.role
    if command == "start" and not args.strip():
        # Telegram's "Start" button, or a person lost in the middle: where they are, not a silent restart.
        return [menu_list(role), *await ask_current(ctx, state)]
    if command in ENGINE_OWN:
        return None
    if command == "bantuan":
        return [help_reply(role), *await ask_current(ctx, state)]
    if command == "menu":
        return [menu_list(role), *await ask_current(ctx, state)]
    flow = flows.get(command)
    if flow is None or role not in flow.roles:
        return None  # refused by the engine; the flow is kept
    if command in READ_ONLY:
        outcome = await flow.start(ctx, {})
        if isinstance(outcome, Finish):
            return [*outcome.replies, *await ask_current(ctx, state)]
    data = dict(state.data or {})
    data.pop(PENDING, None)
    nothing_typed = current.unfinished(ctx, data) is None if current.unfinished else not data
    if nothing_typed:
        return None  # leaving loses nothing: no question
    save_data(state, {**data, PENDING: {"command": command, "args": args}})
    # A new question: buttons of the flow's question shown before are now an earlier question's.
    state.version = (state.version or 0) + 1
    return [question(ctx, state, flows)]


def question(ctx: Context, state: ConversationState, flows: dict[str, Flow]) -> Reply:
    data = dict(state.data or {})
    command = data.pop(PENDING)["command"]
    flow = flows[state.flow]
    what = (flow.unfinished(ctx, data) if flow.unfinished else None) or _("/{flow} is not finished.", flow=state.flow)
    text = what + " " + _("Leave it and start /{command}?", command=command)
    return Reply(text, (Choice(CONTINUE, _("Continue")), Choice(LEAVE, _("Leave"))), Expect.CHOICE)


async def answer(
    ctx: Context,
    state: ConversationState,
    flows: dict[str, Flow],
    ask_current: AskCurrent,
    run_command: RunCommand,
) -> list[Reply]:
    """The person's answer to "Leave it and start /kk?"."""
    incoming = ctx.incoming
    pressed = None
    if incoming.kind == Kind.CHOICE:
        pressed = incoming.choice if incoming.choice in (CONTINUE, LEAVE) else None
    elif incoming.kind == Kind.TEXT:
        pressed = TYPED.get(incoming.text.strip().lower())
    if pressed is None:
        return [Reply(_("Please press Continue or Leave.")), question(ctx, state, flows)]
    data = dict(state.data or {})
    waiting = data.pop(PENDING)
    save_data(state, data)
    state.version = (state.version or 0) + 1
    if pressed == CONTINUE:
        return await ask_current(ctx, state)
    kept = await leave(ctx, state, flows)
    enter(state, None, None)
    replies = await run_command(ctx, state, waiting["command"], waiting["args"])
    return [Reply(kept), *replies] if kept else replies


async def leave(ctx: Context, state: ConversationState, flows: dict[str, Flow]) -> str | None:
    """The flow is about to be left unfinished: let it keep its work; what to tell the person, if anything."""
    flow = flows.get(state.flow or "")
    if flow is None or flow.leave is None or ctx.person is None or state.step is None:
        return None
    data = dict(state.data or {})
    data.pop(PENDING, None)
    return await flow.leave(ctx, data, state.step)


def menu_list(role: str) -> Reply:
    """The menu as text: its buttons would answer the open question instead of starting a command."""
    lines = [f"/{command} — {text}" for command, text in role_commands(role) if command != "menu"]
    return Reply(_("What would you like to do?") + "\n" + "\n".join(lines))
