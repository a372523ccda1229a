"""Answering the person who just wrote, on any channel: wait out short flood waits (Telegram's 429s), retry a
refused connection briefly, note blocked chats, and hand to the outbox what still cannot go.

Unlike the outbox worker this path waits in place (briefly), because the person is looking at the chat right now —
but never long: the whole answer stays within a few seconds however the platform behaves, so a webhook request is
never held long (and each call has its own timeout, the channel's client). A send whose fate is unknown (it timed
out or its connection dropped after it left) is never tried again here: it goes to the outbox marked uncertain, and
the worker decides by the rule of bot/delivery/uncertain.py. Whenever an answer does reach a chat, that chat's waiting
unknown-fate messages are set aside: something newer is in the chat.

Two entries. `send_answer`: an answer the engine recorded as outbox rows with its work (services/outbox.py says the
lifecycle): one UPDATE says its send starts, one that it went; what cannot go is handed back on those same rows. An
answer recorded behind an earlier one not sent yet is not sent here at all: the worker sends both, in order.
`direct_send`: replies with no rows (the last-resort "sorry"; callers that do not record) — the outbox gets new rows
only for what cannot go.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import faults
from bot.channels.answer_marks import AnswerMarks
from bot.channels.base import TRANSIENT, Sender, SendResult
from bot.redaction import redact
from handlers.engine import Answer
from handlers.messages import Reply
from handlers.payload import payload_of
from services import delivery, direct_answers, outbox, people
from services.db import Database
from services.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The person is looking at the chat, so a short flood wait is waited out here. A longer one (a flood ban for the
# bot) would hold up this person's next messages and, in polling, everyone's: the outbox takes it over.
MAX_WAIT_HERE = 5.0
BACKOFF_BASE = 0.5
# Waiting in place (flood waits, backoff after a refused connection) stops once this much time has gone: the rest
# is the outbox's. With a send timeout of 5 s (Telegram's SEND_TIMEOUT) it keeps an answer, and the webhook request
# carrying it, under ten seconds.
TIME_HERE = 4.0


class Watch:
    """What the direct path keeps in mind between answers, in this process.

    - The platform's recent silence: once a send got no answer at all, the answers of the next `pause` seconds (the
      channel's send timeout) do not try. Each try would hold its person's webhook request, and a processing slot, a
      whole send timeout (with more people writing than slots, they would queue one timeout behind another). They
      go to the outbox untried — nothing was sent, so the worker sends them as soon as the platform answers. During
      the pause, at most once a `refresh`, an answer asks whether the platform answers again (the sender's cheap
      `alive`; answers arriving meanwhile wait for that one quick call); if it does, the pause ends there.
      Without that, a person writing again right after a stall would have their answer queued behind the
      unknown-fate one, which the worker then sends again: a duplicate, where a direct answer sets it aside.
    - The chats with unknown-fate messages waiting in the outbox, asked at most once a second: an answer that
      reaches one of them sets those messages aside, and the other answers (nearly all) cost no query. A message
      handed over by another process less than a second before an answer is missed; it then waits for its gate.
    - Likewise the chats with answers not sent yet (handed to the outbox, queued behind another, left by a process
      that died), asked at most once a second: only an answer to one of them asks the database whether it must
      wait behind them (services/outbox.py `earlier_unsent`, in the answer's own unit of work); nearly all skip it.
      This process's own hand-overs are known at once; another process's, within a second (several `web`
      processes only: one person's updates move between them only after the earlier one was answered).
    """

    def __init__(self, pause: float, refresh: float = 1.0) -> None:
        self.pause = pause
        self.refresh = refresh
        self._silent_until = 0.0
        self._uncertain: set[str] = set()
        self._asked_at = float("-inf")
        self._asking = asyncio.Lock()
        self._probed_at = float("-inf")
        self._probing = asyncio.Lock()
        self._unsent: set[str] = set()
        self._unsent_asked_at = float("-inf")
        self._asking_unsent = asyncio.Lock()

    @property
    def tripped(self) -> bool:
        return asyncio.get_running_loop().time() < self._silent_until

    async def still_silent(self, sender: Sender) -> bool:
        """True while the pause holds; one caller a `refresh` asks the platform, and ends the pause if it answers."""
        if not self.tripped:
            return False
        loop = asyncio.get_running_loop()
        async with self._probing:  # the others wait for its answer (one quick call), not a whole send timeout
            if not self.tripped:
                return False
            if loop.time() - self._probed_at < self.refresh:
                return True
            self._probed_at = loop.time()
            if await sender.alive():
                self._silent_until = 0.0
                return False
            return True

    def saw(self, result: SendResult) -> None:
        if result.no_answer:
            now = asyncio.get_running_loop().time()
            self._silent_until = now + self.pause
            # That send was as good as asking: answers right behind it (people queued while it waited) go to the
            # outbox at once instead of each spending a quick probe's timeout on a platform known silent.
            self._probed_at = now

    def handed_over(self, external_id: str) -> None:
        self._uncertain.add(external_id)
        self._unsent.add(external_id)

    def queued(self, external_id: str) -> None:
        self._unsent.add(external_id)

    async def may_have_unsent(self, db: Database, channel: str, external_id: str, holder: str) -> bool:
        """Might this chat have an answer not sent yet (other than this process's own in flight)?"""
        async with self._asking_unsent:
            now = asyncio.get_running_loop().time()
            if now - self._unsent_asked_at >= self.refresh:
                async with db.sessions() as session:
                    self._unsent = await outbox.chats_with_unsent(session, channel, holder)
                self._unsent_asked_at = now
        return external_id in self._unsent

    async def may_have_uncertain(self, db: Database, channel: str, external_id: str) -> bool:
        async with self._asking:
            now = asyncio.get_running_loop().time()
            if now - self._asked_at >= self.refresh:
                async with db.sessions() as session:
                    self._uncertain = await delivery.chats_with_uncertain(session, channel)
                self._asked_at = now
        return external_id in self._uncertain


NOT_TRIED = SendResult(ok=False, error=f"{TRANSIENT}not tried: the platform did not answer a moment ago")
# Not errors: the answer is the worker's (it waits behind an earlier one, or its grace ran out before its send).
QUEUED = SendResult(ok=False, error="queued behind an earlier answer of this chat: the worker sends it")
TAKEN_OVER = SendResult(ok=False, error="not sent here: the worker took the answer over")


async def send_answer(
    sender: Sender,
    external_id: str,
    answer: Answer,
    db: Database,
    watch: Watch | None,
    marks: AnswerMarks,
) -> SendResult:
    """Send an answer the engine recorded (`answer.rows`) and record how it went, on those rows.

    `marks`: this process's start and sent marks (bot/channels/answer_marks.py), with its holder name and the
    grace a started send is left to it before the worker treats it as one whose fate is unknown.
    """
    if not answer.rows:
        return await direct_send(sender, external_id, answer.replies, db, watch)
    if not answer.direct:
        if watch is not None:
            watch.queued(external_id)
        log.info("answer to %s waits in the outbox behind an earlier one", external_id)
        return QUEUED
    faults.point("after_commit_before_send")  # test-only (bot/faults.py): the crash the outbox rows are for
    if not await marks.start(answer.rows):
        log.warning("answer to %s not sent here: its grace ran out and the worker has it", external_id)
        return TAKEN_OVER
    replies, rows = answer.replies, answer.rows
    result, index, done, started = await _send_all(sender, external_id, replies, db, watch)
    if result.ok:
        marks.sent(rows)  # written with the next transaction (bot/channels/answer_marks.py)
        await _set_aside_older(db, sender.channel, external_id, watch)
        return result
    passing = result.retry_after is not None or (result.error or "").startswith(TRANSIENT)
    async with db.unit_of_work() as session:
        await direct_answers.sent(session, rows[:index], utcnow())  # those went before the one that did not
        if result.unreachable:
            await people.mark_unreachable(session, sender.channel, external_id, result.error or "unreachable")
        if passing and not result.unreachable:
            not_before = utcnow() + timedelta(seconds=result.retry_after or 0)
            payloads = _handed_over(replies[index:], rows[index:], done, started if result.uncertain else None)
            error = redact(result.error or "not sent")  # stored: never a token in it
            handed = list(zip(rows[index:], payloads, strict=True))
            await direct_answers.hand_over(session, handed, marks.holder, not_before, error)
        else:  # a bad request stays bad, a chat that blocked the bot is gone: the outbox would only repeat it
            unreachable = result.unreachable
            error = redact(result.error or "not sent")
            await direct_answers.give_up(session, rows[index:], unreachable=unreachable, error=error)
    if passing and not result.unreachable:
        if watch is not None:
            watch.handed_over(external_id)
        log.info("reply to %s handed to the outbox: %s", external_id, result.error)
    else:
        log.warning("reply to %s not delivered: %s", external_id, result.error)
    return result


def _handed_over(replies: Sequence[Reply], rows: Sequence[int], done: int, uncertain_since: datetime | None) -> list:
    """The payloads of the rows handed back: the first from the part that did not go. Its fate unknown, the rest
    of the answer goes only after it, and not at all if it never does (bot/delivery/uncertain.py); else the rest
    simply keeps its place, the worker sending a chat's answers in order."""
    payloads = []
    for position, reply in enumerate(replies):
        payload = {**payload_of(reply, done if position == 0 else 0), outbox.ANSWER: True}
        if uncertain_since is not None:
            if position == 0:
                payload[delivery.UNCERTAIN_SINCE] = uncertain_since.isoformat()
            else:
                payload[delivery.BEHIND] = rows[0]
        payloads.append(payload)
    return payloads


async def _send_all(
    sender: Sender, external_id: str, replies: Sequence[Reply], db: Database | None, watch: Watch | None
) -> tuple[SendResult, int, int, datetime]:
    """Every reply in order, up to the first that cannot go: (its result, its index — len(replies) when all went —,
    how many of its calls went, when its send started)."""
    result = SendResult(ok=True)
    deadline = asyncio.get_running_loop().time() + TIME_HERE
    started = utcnow()
    for index, reply in enumerate(replies):
        started = utcnow()
        if watch is not None and db is not None and await watch.still_silent(sender):
            result, done = NOT_TRIED, 0
        else:
            result, done = await _send_one(sender, external_id, reply, deadline)
            if watch is not None:
                watch.saw(result)
        if not result.ok:
            return result, index, done, started
    return result, len(replies), 0, started


async def direct_send(
    sender: Sender,
    external_id: str,
    replies: Sequence[Reply],
    db: Database | None = None,
    watch: Watch | None = None,
) -> SendResult:
    """Send every reply in order; stops at the first one that cannot be delivered and returns its result.

    With a database, what could not be sent for a passing reason (flood control, a network that stays down, a send
    whose fate is unknown) is handed to the outbox, from the part that did not go.
    """
    result, index, done, started = await _send_all(sender, external_id, replies, db, watch)
    if not result.ok:
        if result.unreachable and db is not None:
            async with db.unit_of_work() as session:
                await people.mark_unreachable(session, sender.channel, external_id, result.error or "unreachable")
        passing = result.retry_after is not None or (result.error or "").startswith(TRANSIENT)
        if passing and db is not None:  # a bad request stays bad: the outbox would only repeat it
            since = started if result.uncertain else None
            await _hand_over(db, sender.channel, external_id, replies[index:], done, result.retry_after, since)
            if watch is not None:
                watch.handed_over(external_id)
            log.info("reply to %s handed to the outbox: %s", external_id, result.error)
        else:
            log.warning("reply to %s not delivered: %s", external_id, result.error)
        return result
    if db is not None and replies:
        await _set_aside_older(db, sender.channel, external_id, watch)
    return result


async def _set_aside_older(db: Database, channel: str, external_id: str, watch: Watch | None) -> None:
    """The answer reached the chat: its waiting unknown-fate messages are older news now (bot/delivery/uncertain)."""
    if watch is not None and not await watch.may_have_uncertain(db, channel, external_id):
        return
    async with db.unit_of_work() as session:
        if set_aside := await delivery.supersede_uncertain(session, channel, external_id):
            log.info("%d unknown-fate message(s) to %s set aside: a newer answer arrived", set_aside, external_id)


async def _send_one(sender: Sender, external_id: str, reply: Reply, deadline: float) -> tuple[SendResult, int]:
    """The result and how many of the reply's calls went out."""
    loop = asyncio.get_running_loop()
    done = 0
    result = SendResult(ok=False, error="not sent")
    for attempt in range(MAX_ATTEMPTS):
        result, done = await sender.send_from(external_id, reply, done)
        if result.ok or result.unreachable or result.uncertain:
            return result, done  # an unknown fate is never tried again in place
        if result.retry_after is not None:
            wait = result.retry_after
            if wait > MAX_WAIT_HERE:
                return result, done
        elif (result.error or "").startswith(TRANSIENT):
            wait = BACKOFF_BASE * 2**attempt  # nothing left, or the platform said it failed: safe to try again
        else:
            return result, done  # a bad request stays bad: retrying would only repeat it
        if loop.time() + wait > deadline:
            return result, done
        await asyncio.sleep(wait)
    return result, done


async def _hand_over(
    db: Database,
    channel: str,
    external_id: str,
    replies: Sequence[Reply],
    done: int,
    retry_after: float | None,
    uncertain_since: datetime | None,
) -> None:
    not_before = utcnow() + timedelta(seconds=retry_after or 0)
    async with db.unit_of_work() as session:
        person = await people.identity_person(session, channel, external_id)
        first = None
        for position, reply in enumerate(replies):
            payload = {**payload_of(reply, done if position == 0 else 0), outbox.ANSWER: True}
            if first is None and uncertain_since is not None:
                payload[delivery.UNCERTAIN_SINCE] = uncertain_since.isoformat()
            if first is not None:
                # The rest of the answer goes only after its start, and not at all if its start never does: should
                # the start's fate become unknown in the worker, its own rest must not count as "newer" than it.
                payload[delivery.BEHIND] = first.id
            row = outbox.enqueue_to(
                session, channel, external_id, payload, person_id=person.id if person else None, not_before=not_before
            )
            if first is None and len(replies) > 1:
                await session.flush()  # its id, for the rows behind it
                first = row
