"""Messages whose fate is unknown: sent at most once more, and only when nothing newer reached the chat.

Why. A send that timed out after its request left, or whose connection dropped while waiting for the answer, may
already be in the chat: Telegram may have done it and only its answer was lost, or it may do it when it comes back
from a stall. Trying again blindly is how a stalled Bot API once gave every chat six copies of its answer (aiogram's
60 s timeout, five attempts in place, then the outbox). Telegram has no call that tells whether a message arrived, so
the rule rests on our own records:

1. Where the fate becomes unknown (the direct answer, or the worker's own send) the message is never tried again in
   place. The part whose fate is unknown goes (back) to the outbox marked `UNCERTAIN_SINCE` (when that send started);
   the rest of the same answer is queued `BEHIND` it and shares its fate.
2. The delivery worker sends it at most once more, and only
   a. once the platform has been answering again for `wait` (checked with a harmless getMe when the worker has not
      heard from it since): a stalled server gets time to come back, and the person time to show, by writing, that
      they have the message; and
   b. when nothing reached that chat after it: no outbox message to the chat was sent since (asked right before the
      send), and no direct answer (the direct path sets a chat's waiting unknown-fate messages aside whenever it
      answers that chat: `services.delivery.supersede_uncertain`).
3. If the fate of that one more try is unknown again, the message is given up (failed, with the reason).

A refused connection (nothing left) or an answer from the platform is not "unknown": retried as before.

What it cannot rule out: a message that did arrive, late, to a person who then stays silent for the whole wait,
arrives twice. The other choice, never trying again, would lose every answer a stall swallowed.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.base import SendResult
from services.models import utcnow

# Long enough for a person who got the message late to answer it (which sets the copy aside); short enough that an
# answer a stall swallowed still comes while the question is fresh.
UNCERTAIN_WAIT = timedelta(seconds=60)
UNCERTAIN_TWICE = "not sent again: the fate of two sends is unknown (the platform did not answer either)"
BEHIND_FAILED = "not sent: the message before it in the same answer was not sent"


class UncertainGate:
    """The worker's view of whether the platform answers again, and when an unknown-fate message may go."""

    def __init__(
        self,
        wait: timedelta,
        probe: Callable[[], Awaitable[bool]] | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.wait = wait
        self.probe = probe
        self.clock = clock
        self.answered_at: datetime | None = None  # the last call the platform answered (any answer, even an error)
        self.unanswered_at: datetime | None = None  # the last call it did not answer at all
        self.healthy_since: datetime | None = None  # the first answered call after the last unanswered one
        self._probing = asyncio.Lock()

    def saw(self, result: SendResult) -> None:
        """Every send's result: did the platform answer it?"""
        now = self.clock()
        if result.no_answer:
            self.unanswered_at, self.healthy_since = now, None
            return
        self.answered_at = now
        if self.healthy_since is None:
            self.healthy_since = now

    async def not_before(self, since: datetime) -> datetime | None:
        """None: the message may go now (after the newer-message check); else the time to look at it again."""
        if self.clock() < since + self.wait:
            return since + self.wait
        async with self._probing:  # many such messages at once: one getMe answers for all of them
            now = self.clock()
            if self.answered_at is None or self.answered_at <= since:
                if self.probe is None:
                    return None  # a channel that cannot be asked: the wait is all there is
                silent = self.unanswered_at is not None and (
                    self.answered_at is None or self.unanswered_at > self.answered_at
                )
                if silent and now < self.unanswered_at + self.wait:
                    return self.unanswered_at + self.wait  # asked (or tried) a moment ago, in vain
                answered = await self.probe()
                now = self.clock()
                if answered:
                    # Answering now says nothing about since when: the wait starts now.
                    self.answered_at = self.healthy_since = now
                else:
                    self.unanswered_at, self.healthy_since = now, None
                return now + self.wait
            if self.healthy_since is None:
                return now + self.wait
            ready = max(since, self.healthy_since) + self.wait
            return None if now >= ready else ready
