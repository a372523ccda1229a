"""What a broadcast's sender sees: progress every 10%, the final report, and an hour later what WhatsApp said since
(delivered, read, failed). Made by the worker's progress reporter (bot/delivery/progress.py) and the CLI."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.formatting import number
from handlers.i18n import _, use_locale
from handlers.messages import Reply
from handlers.payload import payload_of
from services import delivery
from services.delivery import Progress
from services.models import Broadcast, Person, utcnow

PROGRESS_STEP = 10  # percent between two progress messages
MIN_FOR_PROGRESS = 20  # smaller broadcasts finish in seconds: only the final report
PREVIEW = 40


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= PREVIEW:
        return flat
    return flat[: PREVIEW - 1].rsplit(" ", 1)[0] + "…"  # whole words only


def progress_reply(text: str, progress: Progress) -> Reply:
    line = _(
        "Broadcast “{preview}”: delivered {sent}/{total}.",
        preview=_preview(text),
        sent=number(progress.sent),
        total=number(progress.total),
    )
    after = after_delivery_line(progress)
    return Reply(f"{line}\n{after}" if after else line)


def after_delivery_line(progress: Progress) -> str | None:
    """What WhatsApp said later about the messages it took: reached the phone, read, failed after all. Only the
    parts that are not zero; nothing at all for Telegram, which says none of it."""
    parts = []
    if progress.delivered:
        parts.append(_("reached the phone {count}", count=number(progress.delivered)))
    if progress.read:
        parts.append(_("read {count}", count=number(progress.read)))
    if progress.failed_after:
        parts.append(_("failed afterwards {count}", count=number(progress.failed_after)))
    return _("On WhatsApp: {parts}.", parts=", ".join(parts)) if parts else None


def final_report_reply(text: str, progress: Progress) -> Reply:
    lines = [
        _(
            "Broadcast “{preview}” finished: delivered to {sent} of {total} recipients.",
            preview=_preview(text),
            sent=number(progress.sent),
            total=number(progress.total),
        )
    ]
    if after := after_delivery_line(progress):
        lines.append(after)
    if progress.failed:
        lines.append(_("Not delivered ({count}), with the reason:", count=number(progress.failed)))
        lines += [f"• {reason} ({number(count)})" for reason, count in progress.reasons]
    if progress.unreachable:
        lines.append(
            _(
                "{count} recipients blocked the bot or left Telegram: please reach them another way (phone or visit).",
                count=number(progress.unreachable),
            )
        )
    return Reply("\n".join(lines))


def cli_broadcast_payload(text: str) -> dict:
    """A broadcast sent from the command line, in Indonesian (the recipients' default)."""
    with use_locale("id"):
        return payload_of(Reply(_("📢 Message from DPMPPA Kota Jambi:\n\n{text}", text=text)), purpose="pemberitahuan")


def follow_up_reply(text: str, progress: Progress) -> Reply | None:
    """The later report: what WhatsApp said since the final one (None when it said nothing at all)."""
    after = after_delivery_line(progress)
    if after is None:
        return None
    head = _("Broadcast “{preview}”, an hour after it finished:", preview=_preview(text))
    return Reply(f"{head}\n{after}")


async def report_broadcast_follow_up(session: AsyncSession, broadcast_id: int, now: datetime | None = None) -> bool:
    """Once, an hour after a broadcast finished: the delivered / read / failed counts WhatsApp sent after the final
    report (services.delivery.broadcasts_to_follow_up picks the broadcasts). True when a report was queued."""
    now = now or utcnow()
    broadcast = await session.get(Broadcast, broadcast_id)
    sender = await session.get(Person, broadcast.created_by_id) if broadcast and broadcast.created_by_id else None
    identity = (await delivery.preferred_identities(session, [sender.id])).get(sender.id) if sender else None
    if identity is None:
        return False
    progress = await delivery.broadcast_progress(session, broadcast_id)
    with use_locale(sender.locale):
        reply = follow_up_reply(broadcast.text, progress)
        if reply is None:
            return False
        payload = payload_of(reply)
    key = delivery.follow_up_key(broadcast_id)
    return await delivery.enqueue_once(session, identity, payload, dedupe_key=key, now=now) is not None


async def report_broadcast_progress(
    session: AsyncSession, broadcast_id: int, now: datetime | None = None
) -> str | None:
    """Tell the broadcast's sender how far it got: every 10% at most (once each), then a final report.

    Returns "finished", "progress" or None (nothing new). Idempotent: the outbox dedupe keys make each message
    once, even with two workers checking at the same moment.
    """
    now = now or utcnow()
    # Locked (PostgreSQL): every worker process checks, and one check must not queue a progress report while
    # another is finishing the broadcast (it would arrive after the final report).
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.finished_at is not None:
        return None
    progress = await delivery.broadcast_progress(session, broadcast_id)
    sender = await session.get(Person, broadcast.created_by_id) if broadcast.created_by_id else None
    identities = await delivery.preferred_identities(session, [sender.id] if sender else [])
    identity = identities.get(sender.id) if sender else None
    progress_key = f"broadcast:{broadcast_id}:progress:"
    if progress.total == 0 or progress.finished:
        broadcast.finished_at = now
        if identity is not None and progress.total:
            await delivery.drop_unsent(session, sender.id, progress_key)  # stale next to the final report
            with use_locale(sender.locale):
                payload = payload_of(final_report_reply(broadcast.text, progress))
            await delivery.enqueue_once(
                session, identity, payload, dedupe_key=f"broadcast:{broadcast_id}:report", now=now
            )
        return "finished"
    milestone = progress.done * 100 // progress.total // PROGRESS_STEP * PROGRESS_STEP
    if identity is None or milestone < PROGRESS_STEP or progress.total < MIN_FOR_PROGRESS:
        return None
    # At most one update on its way: while one waits (the sender's chat allows one message a second), the
    # milestones it would announce late are skipped.
    if await delivery.has_unsent(session, sender.id, progress_key):
        return None
    with use_locale(sender.locale):
        payload = payload_of(progress_reply(broadcast.text, progress))
    key = f"{progress_key}{milestone}"
    queued = await delivery.enqueue_once(session, identity, payload, dedupe_key=key, now=now)
    return "progress" if queued else None
