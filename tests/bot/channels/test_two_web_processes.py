"""Any number of `web` processes behind one webhook address: two real `kampung-bahagia web` processes on one
PostgreSQL, one person's updates sent to them alternately (and each delivered again to the other, as a platform
retrying would) are handled in the order they were sent, each once.

The conversation makes order visible: "/bahasa" then "2" (English) or "1" (Indonesian), over and over. Handled out
of order, an answer would be "choose one of the languages" or the wrong language; handled twice, a question or a
confirmation would come twice.
"""

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.telegram.webhook import PATH, SECRET_HEADER
from tests.bot.channels.test_stored_crash import SECRET, environment, start_web
from tests.bot.test_processes import free_port
from tests.fakes.telegram_api import FakeTelegramServer


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        yield server


CHAT = 8080
ROUNDS = 8
ENGLISH, INDONESIAN = "Language set to English.", "Bahasa diganti ke Bahasa Indonesia."


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_persons_updates_alternating_between_two_web_processes_are_handled_in_order_once(
    database_url: str, tmp_path, fake: FakeTelegramServer
) -> None:
    ports = [free_port(), free_port()]
    processes = []
    try:
        for n, port in enumerate(ports):
            folder = tmp_path / f"web{n}"
            folder.mkdir()
            env = environment(database_url, folder, fake, port)
            processes.append(await start_web(env, fake, len(fake.calls)))
        texts = [word for k in range(ROUNDS) for word in ("/bahasa", "2" if k % 2 == 0 else "1")]
        async with httpx.AsyncClient() as http:
            for update_id, words in enumerate(texts, 1):
                update = {"update_id": update_id, **fake.message_update(CHAT, words)}
                first, second = ports[update_id % 2], ports[(update_id + 1) % 2]
                for port in (first, second):  # sent to one, then delivered again to the other
                    response = await http.post(
                        f"http://127.0.0.1:{port}{PATH}", json=update, headers={SECRET_HEADER: SECRET}
                    )
                    assert response.status_code == 200
        expected = [ENGLISH if k % 2 == 0 else INDONESIAN for k in range(ROUNDS)]

        def languages() -> list[str]:
            return [m["text"] for m in fake.sent_messages(CHAT) if m.get("text") in (ENGLISH, INDONESIAN)]

        async with asyncio.timeout(30):
            while len(languages()) < ROUNDS:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # anything handled twice would have been sent by now
        assert languages() == expected
        questions = [m for m in fake.sent_messages(CHAT) if m.get("text") in ("Pilih bahasa:", "Choose a language:")]
        assert len(questions) == ROUNDS
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.communicate(timeout=20)
