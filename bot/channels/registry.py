"""The channels this deployment can run, by short code (courier's habit: `TG`, `WA`, one module of the same shape
each), and the one part of `run` / `web` that starts the configured ones.

A channel module registers a `ChannelType`: factories taking the `App` that return None when the channel is not
configured. The rest of the runtime asks the registry, never `if settings.telegram_…`:
- the delivery worker: `senders(app)` (bot/delivery/part.py);
- `run` and `web`: `part` starts each configured channel's inbound side and, when any of them takes webhooks (or the
  process is the web process), the one web server of the process (bot/web.py) with every channel's router.
"""

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.bootstrap import App
from bot.channels.base import Sender

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bot.delivery.worker import WorkerConfig

log = logging.getLogger(__name__)

# Every channel module; importing one registers it. Imported only when asked, so a process that runs no channel
# does not load aiogram.
MODULES = ("bot.channels.telegram.channel", "bot.channels.whatsapp.channel")


class ChannelRuntime(Protocol):
    """A channel's inbound side while the process runs: its loops, and its webhook routes if it takes webhooks."""

    # The channel's webhook routes (FastAPI APIRouter), served by the process's one web server; None: no webhook
    # (long polling, or a channel that only sends).
    router: "APIRouter | None"

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` (or the channel can never work, e.g. a refused token); releases what it holds on leaving."""
        ...


@dataclass(frozen=True)
class ChannelType:
    code: str  # the short code: "TG", "WA"
    channel: str  # the channel code of Incoming / ChannelIdentity / OutboxMessage rows: "telegram"
    configured: Callable[[App], bool]
    sender: Callable[[App], Sender]  # for the outbox worker (and nothing else: a runtime makes its own)
    limits: Callable[[App], "WorkerConfig"]  # the platform's rate limits for the worker
    runtime: Callable[[App], ChannelRuntime]


_TYPES: dict[str, ChannelType] = {}


def register(channel_type: ChannelType) -> ChannelType:
    _TYPES[channel_type.code] = channel_type
    return channel_type


def channel_types() -> dict[str, ChannelType]:
    for module in MODULES:
        importlib.import_module(module)
    return dict(_TYPES)


def configured(app: App) -> list[ChannelType]:
    return [kind for kind in channel_types().values() if kind.configured(app)]


def senders(app: App) -> "list[tuple[Sender, WorkerConfig]]":
    """Every configured channel's sender with its limits. The console delivers its own messages."""
    return [(kind.sender(app), kind.limits(app)) for kind in configured(app)]


def make_part(*, web: bool = False):
    """The channels as one runner Part. `web`: serve the web app even when no channel takes webhooks (the Procfile's
    `web` process: health check now, the dashboard later)."""

    async def part(app: App, stop: asyncio.Event) -> None:
        from bot import web as web_app  # FastAPI and uvicorn only where a server may run

        runtimes = [kind.runtime(app) for kind in configured(app)]
        routers = [runtime.router for runtime in runtimes if runtime.router is not None]
        runs = [runtime.run(stop) for runtime in runtimes]
        if routers or web:
            runs.append(web_app.serve(app, stop, routers))
        if not runs:
            await stop.wait()  # nothing to run; ending early would read as a failure to the runner
            return
        await asyncio.gather(*runs)

    return part


part = make_part()
