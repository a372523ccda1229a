"""What a conversation flow is: named steps, each asking one question and handling one answer.

A step's `handle` returns an outcome naming the next step. The engine stores the flow, step and data in the
database after every message, so a flow survives restarts and any worker can continue it.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Context
from handlers.messages import Incoming, Reply

Data = dict[str, Any]


@dataclass(frozen=True)
class Goto:
    """Move to `step` (its question is asked after `replies`)."""

    step: str
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class Stay:
    """The answer did not fit: say why, then ask the same question again. Nothing is saved."""

    reason: str


@dataclass(frozen=True)
class Finish:
    """The flow is over (saved, or refused before it began)."""

    replies: tuple[Reply, ...] = ()


Outcome = Goto | Stay | Finish


@dataclass(frozen=True)
class Step:
    ask: Callable[[Context, Data], Awaitable[Reply]]
    handle: Callable[[Context, Data, Incoming], Awaitable[Outcome]]


# A button on a notification (sent through the outbox, outside any conversation), e.g. "approve this KK change".
# Its choice id is `act:<action>:<argument>`; it is handled whatever the person is doing at that moment.
# It answers with replies (the person's current question is then asked again), or with an `Enter` that moves the
# person into a step of the action's own flow (e.g. "review this report" opens the review card).
@dataclass(frozen=True)
class Enter:
    step: str
    data: dict[str, Any]
    replies: tuple[Reply, ...] = ()


Action = Callable[[Context, str], Awaitable["list[Reply] | Enter"]]
ACTION_PREFIX = "act:"


def action_choice_id(action: str, argument: object) -> str:
    return f"{ACTION_PREFIX}{action}:{argument}"


@dataclass(frozen=True)
class Flow:
    """A flow is started by the command `/<name>`."""

    name: str
    roles: frozenset[str]
    start: Callable[[Context, Data], Awaitable[Outcome]]
    steps: dict[str, Step] = field(default_factory=dict)
    # Buttons of notifications this flow sends, by action name (roles are checked by the engine as for the flow).
    actions: dict[str, Action] = field(default_factory=dict)
    # What is unfinished, in one sentence ("The report of Rembuk Warga is not finished (date filled in)."), asked
    # before another command leaves it; None when nothing has been typed yet (leaving loses nothing, no question).
    # Without it every flow left for another command is asked about with a general sentence.
    unfinished: Callable[[Context, Data], str | None] | None = None
    # Called when the flow is left unfinished (/batal, or another command): may keep the work (a draft) and
    # return what to tell the person about it.
    leave: Callable[[Context, Data, str], Awaitable[str | None]] | None = None
