"""The unknown-fate gate on its own, with a clock the test moves and a probe that answers as told."""

from datetime import UTC, datetime, timedelta

from bot.channels.base import SendResult
from bot.delivery.uncertain import UncertainGate

T0 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
WAIT = timedelta(seconds=60)
ANSWERED, SILENT = SendResult(ok=True), SendResult(ok=False, uncertain=True, no_answer=True)


class World:
    def __init__(self) -> None:
        self.now = T0
        self.answers = True
        self.probes = 0

    def clock(self) -> datetime:
        return self.now

    async def probe(self) -> bool:
        self.probes += 1
        return self.answers


async def test_waits_then_asks_then_waits_again_from_when_it_answers() -> None:
    world = World()
    gate = UncertainGate(WAIT, world.probe, world.clock)
    since = T0
    assert await gate.not_before(since) == since + WAIT and world.probes == 0
    world.now = T0 + WAIT
    assert await gate.not_before(since) == world.now + WAIT and world.probes == 1  # it answers now: wait from now
    world.now += WAIT
    assert await gate.not_before(since) is None and world.probes == 1


async def test_a_silent_platform_is_asked_once_per_wait() -> None:
    world = World()
    world.answers = False
    gate = UncertainGate(WAIT, world.probe, world.clock)
    world.now = T0 + WAIT
    first = await gate.not_before(T0)
    assert first == world.now + WAIT
    world.now += timedelta(seconds=5)
    assert await gate.not_before(T0) == first and world.probes == 1  # no second getMe right away


async def test_sends_the_worker_saw_count_as_answers_and_silences() -> None:
    world = World()
    gate = UncertainGate(WAIT, world.probe, world.clock)
    world.now = T0 + timedelta(seconds=1)
    gate.saw(ANSWERED)
    world.now = T0 + WAIT + timedelta(seconds=1)
    assert await gate.not_before(T0) is None and world.probes == 0  # it answered the worker after the unknown send
    gate.saw(SILENT)
    assert await gate.not_before(T0) == world.now + WAIT
