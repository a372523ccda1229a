import asyncio

from bot.delivery.throttle import CHAT_MARGIN, Throttle


async def test_overall_rate_after_a_half_second_burst():
    throttle = Throttle(per_second=100, per_chat_per_second=1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(50):  # the burst: half a second's worth, at once
        await throttle.acquire(1)
    assert loop.time() - start < 0.05
    for _ in range(20):
        await throttle.acquire(1)
    assert 0.18 <= loop.time() - start < 0.35  # then 100 a second


async def test_acquire_takes_what_is_free_at_once():
    throttle = Throttle(per_second=20, per_chat_per_second=1)
    assert await throttle.acquire(50) == 10  # the whole burst, no more
    assert await throttle.acquire(50) == 1  # then one at a time


async def test_one_chat_waits_its_turn_others_do_not():
    throttle = Throttle(per_second=30, per_chat_per_second=5)
    assert await throttle.take_chat("1")
    assert not await throttle.take_chat("1")
    assert await throttle.take_chat("2")
    await asyncio.sleep(CHAT_MARGIN / 5 + 0.01)
    assert await throttle.take_chat("1")


async def test_a_pause_holds_everyone_until_it_ends():
    throttle = Throttle(per_second=30, per_chat_per_second=1)
    throttle.pause(0.2)
    throttle.pause(0.1)  # a shorter pause does not shorten the longer one
    assert throttle.paused and 0.1 < throttle.pause_left() <= 0.2
    loop = asyncio.get_running_loop()
    start = loop.time()
    await throttle.wait_unpaused()
    assert loop.time() - start >= 0.19 and not throttle.paused
