"""The delivery worker of one channel: claim outbox rows just in time, send them at the channel's pace, record how
each send ended — each outcome committed as soon as the platform has answered.

Exactly once, and its one hole: a row is `sending` from its claim until its outcome is committed. If the worker dies
in between, the row's lease runs out and another run sends it again. That is a duplicate only when the platform
had already accepted the message, i.e. the worker died in the milliseconds between the platform's answer and the
commit (outcomes are committed at once, grouped only when they arrive faster than one commit). Claimed rows wait
at most `prefetch_seconds` before their send starts, and are handed back at once on a clean stop.

Answers (services/outbox.py). On start and then every `recover_every`, the answers a dead process left are taken
over (services/direct_answers.py `recover`): never tried → sent, once; started → by the unknown-fate rule. An answer
goes only once no earlier answer of its chat is waiting, so a person's answers keep their order on this path too.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import Sender, SendResult
from bot.delivery.policy import Attempt, PolicyFactory
from bot.delivery.throttle import Throttle
from bot.delivery.uncertain import BEHIND_FAILED, UNCERTAIN_TWICE, UNCERTAIN_WAIT, UncertainGate
from bot.redaction import redact
from handlers.payload import PARTS_DONE, reply_from_payload
from services import delivery, direct_answers, outbox, people
from services.db import Database
from services.delivery import BEHIND, SUPERSEDED, UNCERTAIN_SINCE, Claimed
from services.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    lease: timedelta = timedelta(seconds=90)
    poll_interval: float = 0.5
    max_in_flight: int = 32
    # Claim about this many seconds of sending at a time (at least one row).
    prefetch_seconds: float = 0.25
    max_attempts: int = 5
    # Seconds before the 2nd attempt; doubled for each one after, up to max_backoff.
    backoff: float = 2.0
    max_backoff: float = 300.0
    stop_timeout: float = 10.0
    # How long the platform must answer again before a message whose fate is unknown is tried once more.
    uncertain_wait: timedelta = UNCERTAIN_WAIT
    # How this channel's rows are sent and recorded beyond the plain rules (bot/delivery/policy.py); None: plain.
    policy: PolicyFactory | None = None
    # The account these limits belong to, whose send lease a worker process must hold (bot/delivery/lease.py):
    # the channel and the account's public id, never a token. None: the channel alone.
    account: str | None = None
    # How often the answers left by a dead process are looked for (and once at start).
    recover_every: float = 1.0

    @property
    def prefetch(self) -> int:
        return max(1, int(self.per_second * self.prefetch_seconds))


# How soon a message queued behind another (the rest of one answer) looks again whether that one has gone.
BEHIND_RECHECK = 1.0


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class _Outcome:
    row: Claimed
    result: SendResult | None  # None: not sent, hand it back (a chat's own limit, a stop, an unknown-fate wait)
    parts_done: int = 0
    delay: float = 0.0
    started: datetime | None = None  # when the send began: the mark of a send whose fate is unknown
    given_up: str | None = None  # not sent, and never will be (the reason is stored)
    attempt: Attempt | None = None  # what the channel's policy made of the send, for it to record


class ChannelWorker:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        config: WorkerConfig,
        *,
        name: str | None = None,
        db_lock: asyncio.Lock | None = None,
        on_broadcast=None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.channel = sender.channel
        self.config = config
        self.name = name or worker_id()
        # One writer at a time from this process: SQLite would otherwise make our own connections wait on each other.
        self.db_lock = db_lock or asyncio.Lock()
        self.on_broadcast = on_broadcast or (lambda broadcast_id: None)
        self.throttle = Throttle(config.per_second, config.per_chat_per_second)
        self._buffer: deque[Claimed] = deque()
        self._in_flight: set[asyncio.Task] = set()
        self._outcomes: asyncio.Queue[_Outcome | None] = asyncio.Queue()
        self.stats = {
            "sent": 0, "retry_after": 0, "unreachable": 0, "failed": 0, "errors": 0, "in_doubt": 0, "uncertain": 0,
            "superseded": 0,
        }  # fmt: skip
        self.gate = UncertainGate(config.uncertain_wait, sender.alive)
        self._recovered_at = float("-inf")
        self.policy = config.policy(sender, db, self.db_lock) if config.policy is not None else None

    # ---- main loop --------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        writer = asyncio.create_task(self._write_loop())
        try:
            while not stop.is_set():
                try:
                    await self._step(stop)
                except Exception:
                    # The database may be locked or away for a moment: delivery must outlive it, not die silently.
                    log.exception("delivery step failed; trying again shortly")
                    await _wait(stop, self.config.poll_interval)
        finally:
            await asyncio.shield(self._shutdown(writer))

    async def _step(self, stop: asyncio.Event) -> None:
        if self.throttle.paused:
            await self._during_pause(stop)
            return
        if len(self._in_flight) >= self.config.max_in_flight:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return
        if not self._buffer and not await self._claim():
            await _wait(stop, self.config.poll_interval)
            return
        row = self._buffer.popleft()
        if not await self.throttle.take_chat(row.external_id):
            self._outcomes.put_nowait(_Outcome(row, None, delay=self.throttle.chat_period))
            return
        await self.throttle.acquire(1)
        if stop.is_set():  # stopped (or the account's send lease lost) while waiting for the slot: not sent
            self._buffer.appendleft(row)
            return
        task = asyncio.create_task(self._send(row))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _claim(self) -> bool:
        free = self.config.max_in_flight - len(self._in_flight)
        await self._recover()
        async with self.db_lock, self.db.unit_of_work() as session:
            rows = await delivery.claim_batch(
                session,
                channel=self.channel,
                worker=self.name,
                limit=max(1, min(free, self.config.prefetch)),
                lease=self.config.lease,
                now=utcnow(),
            )
        for row in rows:
            if row.in_doubt:
                self.stats["in_doubt"] += 1
                log.warning("outbox %s: sent again after a worker stopped mid-send; may be a duplicate", row.id)
        self._buffer.extend(rows)
        return bool(rows)

    async def _recover(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._recovered_at < self.config.recover_every:
            return
        self._recovered_at = now
        async with self.db_lock, self.db.unit_of_work() as session:
            untried, started = await direct_answers.recover(session, self.channel, utcnow())
        if untried or started:
            self.stats["recovered"] = self.stats.get("recovered", 0) + untried + started
            log.warning(
                "%s: %d answer(s) left unsent and %d whose send may have left, by a process that stopped: taken over",
                self.channel,
                untried,
                started,
            )

    async def _during_pause(self, stop: asyncio.Event) -> None:
        # A long pause would outlive the lease of the rows we hold: give them back instead.
        if self._buffer and self.throttle.pause_left() > self.config.lease.total_seconds() / 3:
            while self._buffer:
                self._outcomes.put_nowait(_Outcome(self._buffer.popleft(), None, delay=self.throttle.pause_left()))
        pause = asyncio.create_task(self.throttle.wait_unpaused())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({pause, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (pause, stopping):
            task.cancel()

    # ---- one send -------------------------------------------------------------------------------------------
    async def _send(self, row: Claimed) -> None:
        try:
            held = await self._held_back(row)
        except Exception:  # the database away for a moment: look again shortly, nothing was sent
            log.exception("outbox %s: could not check whether it may go", row.id)
            held = _Outcome(row, None, delay=1.0)
        if held is not None:
            self._outcomes.put_nowait(held)
            return
        start = int(row.payload.get(PARTS_DONE, 0))
        started = utcnow()
        try:
            # Decoded inside the try: an unreadable payload is a failed send, not a row re-claimed forever.
            reply = reply_from_payload(row.payload)
            if self.policy is None:
                result, done = await self.sender.send_from(row.external_id, reply, start)
                attempt = None
            else:
                attempt = await self.policy.send(row, reply, start)
                result, done = attempt.result, attempt.parts_done
        except Exception as error:  # a bug or an unexpected network failure: retried like any transient error
            log.exception("sending outbox %s failed", row.id)
            result, done, attempt = SendResult(ok=False, error=f"transient: {redact(error)!r}"), start, None
        if result is None:  # the policy holds it back (a quota, one person's pace, waiting for an answer)
            self._outcomes.put_nowait(_Outcome(row, None, delay=attempt.delay, attempt=attempt))
            return
        if result.retry_after is not None and (attempt is None or attempt.pause_channel):
            self.throttle.pause(result.retry_after)
        self.gate.saw(result)
        self._outcomes.put_nowait(_Outcome(row, result, parts_done=done, started=started, attempt=attempt))

    async def _held_back(self, row: Claimed) -> _Outcome | None:
        """Why a row may not go now (see bot/delivery/uncertain.py); None when it may."""
        if outbox.ANSWER in row.payload:
            # A person's answers in the order they were made: an earlier one still waiting goes first.
            async with self.db_lock, self.db.unit_of_work() as session:
                waiting = await outbox.earlier_unsent(session, row.channel, row.external_id, before=row.id)
            if waiting:
                return _Outcome(row, None, delay=BEHIND_RECHECK)
        if BEHIND in row.payload:
            async with self.db_lock, self.db.unit_of_work() as session:
                ahead = await delivery.status_of(session, int(row.payload[BEHIND]))
            if ahead in (delivery.PENDING, delivery.SENDING):
                return _Outcome(row, None, delay=BEHIND_RECHECK)
            if ahead in (delivery.FAILED, None):
                return _Outcome(row, None, given_up=BEHIND_FAILED)
        if UNCERTAIN_SINCE not in row.payload:
            return None
        since = datetime.fromisoformat(row.payload[UNCERTAIN_SINCE])
        later = await self.gate.not_before(since)
        if later is not None:
            return _Outcome(row, None, delay=max(0.0, (later - utcnow()).total_seconds()))
        async with self.db_lock, self.db.unit_of_work() as session:
            newer = await delivery.sent_after(session, row.channel, row.external_id, since)
        if newer:
            return _Outcome(row, None, given_up=SUPERSEDED)
        log.info("outbox %s: its first send's fate is unknown and nothing newer reached the chat; once more", row.id)
        return None

    # ---- outcomes: committed as soon as they arrive ----------------------------------------------------------
    async def _write_loop(self) -> None:
        while True:
            first = await self._outcomes.get()
            if first is None:
                return
            batch = [first]
            while not self._outcomes.empty():
                item = self._outcomes.get_nowait()
                if item is None:
                    await self._commit(batch)
                    return
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Outcome]) -> None:
        delay = 0.5
        while True:
            try:
                async with self.db_lock, self.db.unit_of_work() as session:
                    for outcome in batch:
                        await self._apply(session, outcome)
                break
            except Exception:
                # Never drop an outcome: a sent message not recorded as sent would be sent again.
                log.exception("recording %d delivery outcomes failed; retrying", len(batch))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        for outcome in batch:
            if outcome.row.broadcast_id is not None:
                self.on_broadcast(outcome.row.broadcast_id)

    async def _apply(self, session, outcome: _Outcome) -> None:
        row, result, now = outcome.row, outcome.result, utcnow()
        if self.policy is not None and outcome.attempt is not None:
            handled = await self.policy.record(session, row, outcome.attempt, self.name, now)
            if handled is not None:
                self.stats[handled] = self.stats.get(handled, 0) + 1
                return
        if outcome.given_up is not None:
            self.stats["superseded"] += 1
            await delivery.mark_failed(session, row.id, self.name, outcome.given_up)
        elif result is None:
            await delivery.release(session, [row.id], self.name, now + timedelta(seconds=outcome.delay))
        elif result.ok:
            self.stats["sent"] += 1
            await delivery.mark_sent(session, row.id, now)
        elif result.unreachable:
            self.stats["unreachable"] += 1
            reason = redact(result.error or "unreachable")
            await delivery.mark_unreachable(session, row.id, self.name, reason)
            await people.mark_unreachable(session, row.channel, row.external_id, reason, now)
        elif result.retry_after is not None:
            self.stats["retry_after"] += 1
            await delivery.mark_retry(
                session,
                row.id,
                self.name,
                at=now + timedelta(seconds=result.retry_after),
                error=redact(result.error) if result.error else None,
                count_attempt=False,
                payload=self._progressed(row, outcome.parts_done),
            )
        elif result.uncertain and UNCERTAIN_SINCE in row.payload:
            self.stats["failed"] += 1
            await delivery.mark_failed(session, row.id, self.name, UNCERTAIN_TWICE)
        elif result.uncertain:
            # Not tried again blindly: at most once more, by the rule of bot/delivery/uncertain.py.
            self.stats["uncertain"] += 1
            started = outcome.started or now
            payload = {**row.payload, PARTS_DONE: outcome.parts_done, UNCERTAIN_SINCE: started.isoformat()}
            await delivery.mark_retry(
                session,
                row.id,
                self.name,
                at=started + self.config.uncertain_wait,
                error=redact(result.error or "fate unknown"),
                payload=payload,
            )
        elif row.attempts >= self.config.max_attempts:
            self.stats["failed"] += 1
            await delivery.mark_failed(session, row.id, self.name, _reason(result.error))
        else:
            self.stats["errors"] += 1
            backoff = min(self.config.max_backoff, self.config.backoff * 2.0 ** (row.attempts - 1))
            await delivery.mark_retry(
                session,
                row.id,
                self.name,
                at=now + timedelta(seconds=backoff),
                error=redact(result.error) if result.error else None,
                payload=self._progressed(row, outcome.parts_done),
            )

    @staticmethod
    def _progressed(row: Claimed, parts_done: int) -> dict | None:
        if parts_done <= int(row.payload.get(PARTS_DONE, 0)):
            return None
        return {**row.payload, PARTS_DONE: parts_done}

    # ---- stopping ---------------------------------------------------------------------------------------------
    async def _shutdown(self, writer: asyncio.Task) -> None:
        while self._buffer:  # claimed but never started: back to the queue for whoever runs next
            self._outcomes.put_nowait(_Outcome(self._buffer.popleft(), None))
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=self.config.stop_timeout)
        self._outcomes.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await writer


def _reason(error: str | None) -> str:
    return redact(error or "unknown error").removeprefix("transient: ")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
