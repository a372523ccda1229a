"""The direct path on an answer recorded with its work (bot/channels/direct.py `send_answer`): every outcome lands on
the answer's own rows — sent, handed back, given up — and never as new rows. Fake Bot API, both databases."""

from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.channels import direct
from bot.channels.answer_marks import AnswerMarks
from bot.channels.direct import QUEUED, send_answer
from bot.channels.telegram.sender import TelegramSender
from handlers.engine import Answer
from handlers.messages import Reply
from handlers.payload import payload_of
from services import direct_answers, outbox
from services.db import Database
from services.models import OutboxMessage, utcnow
from tests.fakes.telegram_api import FakeTelegramServer

CHAT = 6161
HOLDER = direct_answers.holder_name("test:1:abc")
GRACE = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(direct, "BACKOFF_BASE", 0.01)


async def recorded(db: Database, *texts: str) -> Answer:
    replies = [Reply(text) for text in texts]
    async with db.unit_of_work() as session:
        rows = await outbox.record_answers(
            session, "telegram", str(CHAT), [payload_of(r) for r in replies], person_id=None, holder=HOLDER, grace=GRACE
        )
    return Answer(replies, rows.ids, rows.direct)


async def statuses(db: Database) -> list[tuple[str, str]]:
    async with db.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.payload["text"], row.status) for row in rows]


async def test_an_answer_that_went_is_marked_sent_on_its_rows(
    db: Database, server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    answer = await recorded(db, "satu", "dua")
    marks = AnswerMarks(db, HOLDER, GRACE)
    result = await send_answer(TelegramSender(bot, tmp_path), str(CHAT), answer, db, None, marks)
    assert result.ok
    assert [m["text"] for m in server.sent_messages(CHAT)] == ["satu", "dua"]
    await marks.flush()  # the sent mark goes with the next write (bot/channels/answer_marks.py)
    assert await statuses(db) == [("satu", "sent"), ("dua", "sent")]


async def test_what_cannot_go_now_is_handed_back_on_the_same_rows(
    db: Database, server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    answer = await recorded(db, "satu", "dua")
    server.fail_next("sendMessage", 1, 429, retry_after=30)  # a flood wait longer than is waited out here
    result = await send_answer(
        TelegramSender(bot, tmp_path), str(CHAT), answer, db, None, AnswerMarks(db, HOLDER, GRACE)
    )
    assert not result.ok and result.retry_after == 30
    assert await statuses(db) == [("satu", "pending"), ("dua", "pending")]  # no new rows: the same two, waiting
    async with db.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert all(row.claimed_by is None and outbox.ANSWER in row.payload for row in rows)
    assert outbox.BEHIND not in rows[1].payload  # its order is kept by the worker's rule, not tied to the first's fate


async def test_a_bad_request_is_given_up(db: Database, server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    answer = await recorded(db, "satu", "dua")
    server.fail_next("sendMessage", 1, 400, description="Bad Request: nope")
    result = await send_answer(
        TelegramSender(bot, tmp_path), str(CHAT), answer, db, None, AnswerMarks(db, HOLDER, GRACE)
    )
    assert not result.ok
    assert await statuses(db) == [("satu", "failed"), ("dua", "failed")]  # a bad request stays bad


async def test_an_answer_queued_behind_another_is_not_sent_here(
    db: Database, server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    await recorded(db, "satu")  # not sent yet
    later = await recorded(db, "dua")
    assert not later.direct
    result = await send_answer(
        TelegramSender(bot, tmp_path), str(CHAT), later, db, None, AnswerMarks(db, HOLDER, GRACE)
    )
    assert result == QUEUED
    assert server.sent_messages(CHAT) == []
    assert await statuses(db) == [("satu", "answering"), ("dua", "pending")]


async def test_an_answer_taken_over_by_the_worker_is_not_sent_here(
    db: Database, server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    answer = await recorded(db, "satu")
    async with db.unit_of_work() as session:  # this process stalled past its grace: the worker has it now
        await direct_answers.recover(session, "telegram", utcnow() + GRACE * 2)
    result = await send_answer(
        TelegramSender(bot, tmp_path), str(CHAT), answer, db, None, AnswerMarks(db, HOLDER, GRACE)
    )
    assert result == direct.TAKEN_OVER
    assert server.sent_messages(CHAT) == []
    assert await statuses(db) == [("satu", "pending")]
