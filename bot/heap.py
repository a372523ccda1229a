"""Garbage collection for the long-running processes (`run`, `web`, `worker`, `clock`).

Why: everything a process loads at start (the ORM's mappings, aiogram's and pydantic's models, the catalogs) stays
for its whole life, yet CPython's full collection walks it all again each time: measured in `kampung-bahagia
web` under the webhook benchmark, 300–500 ms with the event loop stopped, so every webhook waiting in that moment
was answered that much later. `gc.freeze()` moves what exists once start-up has settled out of the collector's
sight; later full collections walk only what was made since. Cycles among the frozen objects are never freed,
which is the point: they live as long as the process.
"""

import asyncio
import gc

# Long enough for the parts to have imported their libraries, built their apps and opened their first connections.
SETTLE_AFTER_SECONDS = 5.0


def settle() -> None:
    gc.collect()
    gc.freeze()


def settle_soon(loop: asyncio.AbstractEventLoop) -> asyncio.TimerHandle:
    return loop.call_later(SETTLE_AFTER_SECONDS, settle)
