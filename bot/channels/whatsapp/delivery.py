"""The WhatsApp delivery policy (bot/delivery/policy.py): how the outbox worker sends a row to a WhatsApp number.

- Inside the person's 24-hour window (`ChannelIdentity.last_inbound_at`): the reply itself, free-form.
- Outside it, or when Meta answers 131047 because the window closed meanwhile: the approved template of the row's
  `purpose` (handlers/payload.py), its values from handlers/whatsapp_template_values.py. A row without a purpose (or
  whose values cannot be made) sends the "please reply to continue" opener instead, at most one per person a day,
  and waits — pending, marked `WAITING_SINCE` — until the person writes (the window opens) to go free-form.
- Every template counts against `WHATSAPP_DAILY_LIMIT` distinct people per moving 24 hours: past it, the row is
  postponed to when a slot frees, never failed. Every template Meta accepted is counted for the invoice.
- Meta's errors: 130429 slows the whole channel (the worker's pause); 131056 holds back only that person;
  131026/131049 mark the number undeliverable (shown in /rt) and retry later within the attempts; any other 4xx is
  a request Meta will always refuse: failed at once, logged with its payload by the sender. 5xx and no answer: the
  worker's plain rules (retry, unknown fate).
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.channels.base import TRANSIENT, SendResult
from bot.channels.whatsapp.sender import PAIR_RATE, WhatsAppSender
from bot.channels.whatsapp.templates import template_message
from bot.delivery.policy import Attempt
from bot.redaction import redact
from handlers.messages import Reply
from handlers.payload import PARTS_DONE, PURPOSE
from handlers.whatsapp_template_values import template_values
from services import delivery, whatsapp_delivery
from services.db import Database
from services.delivery import Claimed
from services.models import ChannelIdentity, utcnow
from services.whatsapp_delivery import OUTSIDE_WINDOW, TEMPLATE_ONLY, THROUGHPUT, UNDELIVERABLE, WAITING_SINCE
from services.whatsapp_templates import PURPOSES, Template, Templates, shipped_templates
from services.whatsapp_window import WINDOW, inside_window

log = logging.getLogger(__name__)

OPENER = "buka_percakapan"
NO_ANSWER = "not sent: the person did not answer the WhatsApp opener in time (their 24-hour window stayed closed)"


@dataclass(frozen=True)
class PolicySettings:
    daily_limit: int = 250  # WHATSAPP_DAILY_LIMIT
    # How often a message waiting for the person's answer looks whether the window opened (the inbound side makes
    # it due at once with services.whatsapp_delivery.window_opened; this is the fallback).
    recheck: timedelta = timedelta(minutes=10)
    # How long a message waits for that answer before it is given up (failed, with the reason).
    patience: timedelta = timedelta(days=7)
    undeliverable_wait: timedelta = timedelta(hours=1)
    max_attempts: int = 5


class WhatsAppPolicy:
    def __init__(
        self,
        sender: WhatsAppSender,
        db: Database,
        lock: asyncio.Lock,
        settings: PolicySettings = PolicySettings(),
        templates: Templates | None = None,
    ) -> None:
        self.sender, self.db, self.lock, self.settings = sender, db, lock, settings
        self.templates = templates or shipped_templates()
        # People a template is on its way to, not yet recorded: counted against the quota meanwhile.
        self._in_flight: set[str] = set()
        # 131056: people who must not get anything before this (loop time), in this process.
        self._held: dict[str, float] = {}

    # ---- sending ----------------------------------------------------------------------------------------
    async def send(self, row: Claimed, reply: Reply, start: int) -> Attempt:
        now = utcnow()
        held = self._held.get(row.external_id, 0.0) - _loop_time()
        if held > 0:
            return Attempt(None, start, delay=held, note={"kind": "held"})
        self._held.pop(row.external_id, None)
        async with self.lock, self.db.unit_of_work() as session:
            last_inbound = await session.scalar(
                select(ChannelIdentity.last_inbound_at).where(
                    ChannelIdentity.channel == row.channel, ChannelIdentity.external_id == row.external_id
                )
            )
        if _window_open(row.payload, last_inbound, now):
            result, done = await self.sender.send_from(row.external_id, reply, start)
            if result.error_code != OUTSIDE_WINDOW:
                return Attempt(result, done, pause_channel=result.error_code != PAIR_RATE, note={"kind": "free"})
            log.info("outbox %s: the window closed before it went (131047); as a template instead", row.id)
            start = done
        return await self._as_template(row, start, now)

    async def _as_template(self, row: Claimed, start: int, now: datetime) -> Attempt:
        async with self.lock, self.db.unit_of_work() as session:
            template, values = await self._chosen(session, row)
            if template.purpose == OPENER:
                # One opener per waiting message, at most one a day per person: the rest only wait.
                waited = _waiting_since(row.payload)
                if waited is not None and now - waited > self.settings.patience:
                    return Attempt(SendResult(ok=False, error=NO_ANSWER), start, note={"kind": "gave_up"})
                since = now - WINDOW
                if waited is not None or await whatsapp_delivery.opener_sent_since(
                    session, row.external_id, template.name, since
                ):
                    return Attempt(None, start, note={"kind": "waiting"})
            wait = await whatsapp_delivery.quota_wait(
                session, row.external_id, self.settings.daily_limit, now, in_flight=frozenset(self._in_flight)
            )
            if wait is None:
                # Taken before anything else may look (leaving this block awaits the commit): two sends at once
                # never both take the last slot.
                self._in_flight.add(row.external_id)
        if wait is not None:
            log.info("outbox %s: the daily WhatsApp template quota is used up; again in %s", row.id, wait)
            return Attempt(None, start, delay=wait.total_seconds(), note={"kind": "quota"})
        kind = "opener" if template.purpose == OPENER else "template"
        try:
            result = await self.sender.send_template(row.external_id, template_message(template, values))
        except BaseException:
            self._in_flight.discard(row.external_id)
            raise
        note = {"kind": kind, "template": template.name, "text": template.filled(values)}
        return Attempt(result, start, pause_channel=result.error_code != PAIR_RATE, note=note)

    async def _chosen(self, session, row: Claimed) -> tuple[Template, tuple[str, ...]]:
        """The row's purpose template with its values; else the opener."""
        purpose = row.payload.get(PURPOSE)
        if purpose in PURPOSES and purpose != OPENER:
            template = self.templates.for_purpose(purpose)
            values = await template_values(session, template, row.person_id, row.payload)
            if values is not None:
                return template, values
            log.warning("outbox %s: no values for the %s template; the opener goes instead", row.id, purpose)
        opener = self.templates.for_purpose(OPENER)
        return opener, await template_values(session, opener, row.person_id, row.payload) or ("-", "-")

    # ---- recording --------------------------------------------------------------------------------------
    async def record(self, session, row: Claimed, attempt: Attempt, worker: str, now: datetime) -> str | None:
        note = attempt.note or {}
        kind, result = note.get("kind"), attempt.result
        if kind in ("template", "opener"):
            self._in_flight.discard(row.external_id)
        if kind == "waiting":
            await self._wait(session, row, worker, attempt.parts_done, now)
            return "waiting"
        if kind == "gave_up":
            await delivery.mark_failed(session, row.id, worker, NO_ANSWER)
            return "failed"
        if result is None:
            return None  # held back: the worker hands it back for `delay`
        if result.ok:
            if kind == "opener":
                await whatsapp_delivery.record_opener(
                    session, row.external_id, row.person_id, note["template"], note["text"], result.message_id, now
                )
                await self._wait(session, row, worker, attempt.parts_done, now)
                return "opener"
            await whatsapp_delivery.record_sent(
                session, row.id, row.external_id, result.message_id, note.get("template"), now
            )
            return "sent"
        return await self._refused(session, row, attempt, worker, now)

    async def _refused(self, session, row: Claimed, attempt: Attempt, worker: str, now: datetime) -> str | None:
        result = attempt.result
        code = result.error_code
        error = redact(result.error or f"WhatsApp {code}").removeprefix(TRANSIENT)
        payload = _progressed(row, attempt.parts_done)
        if code == PAIR_RATE:
            wait = result.retry_after or 6.0
            self._held[row.external_id] = _loop_time() + wait
            at = now + timedelta(seconds=wait)
            await delivery.mark_retry(session, row.id, worker, at=at, error=error, count_attempt=False, payload=payload)
            return "pair_rate"
        if code in UNDELIVERABLE:
            await whatsapp_delivery.mark_undeliverable(session, row.external_id, error, now)
            if row.attempts >= self.settings.max_attempts:
                await delivery.mark_failed(session, row.id, worker, error)
                return "failed"
            at = now + self.settings.undeliverable_wait
            await delivery.mark_retry(session, row.id, worker, at=at, error=error, payload=payload)
            return "undeliverable"
        if code == THROUGHPUT or result.uncertain or result.no_answer or (result.error or "").startswith(TRANSIENT):
            return None  # the worker's own rules: pause the channel, unknown fate, retry with backoff
        # Any other refusal (a malformed request, a template Meta does not know): it would fail the same again.
        await delivery.mark_failed(session, row.id, worker, error)
        return "failed"

    async def _wait(self, session, row: Claimed, worker: str, parts_done: int, now: datetime) -> None:
        payload = dict(row.payload)
        payload.setdefault(WAITING_SINCE, now.isoformat())
        if parts_done:
            payload[PARTS_DONE] = parts_done
        await whatsapp_delivery.wait_for_window(session, row.id, worker, payload, now + self.settings.recheck)


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _window_open(payload: dict, last_inbound: datetime | None, now: datetime) -> bool:
    if not inside_window(last_inbound, now):
        return False
    # Meta said 131047 for a free-form message our records thought inside: only a newer message of theirs counts.
    template_only = payload.get(TEMPLATE_ONLY)
    return not template_only or last_inbound > datetime.fromisoformat(template_only)


def _waiting_since(payload: dict) -> datetime | None:
    value = payload.get(WAITING_SINCE)
    return datetime.fromisoformat(value) if value else None


def _progressed(row: Claimed, parts_done: int) -> dict | None:
    if parts_done <= int(row.payload.get(PARTS_DONE, 0)):
        return None
    return {**row.payload, PARTS_DONE: parts_done}


def policy_factory(settings: PolicySettings):
    """For `WorkerConfig.policy`: made by the worker with its sender, database and write lock."""

    def make(sender, db: Database, lock: asyncio.Lock) -> WhatsAppPolicy:
        return WhatsAppPolicy(sender, db, lock, settings)

    return make
