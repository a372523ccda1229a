"""The ASGI app and the one web server of a process: each channel contributes its webhook router (Telegram now,
WhatsApp), and the dashboard (bot/dashboard). Routes stay thin; the server belongs to no channel."""

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence

import uvicorn
from fastapi import APIRouter, FastAPI

from bot.bootstrap import App
from bot.dashboard import app as dashboard

log = logging.getLogger(__name__)


def create_web_app(app: App, routers: Sequence[APIRouter] = ()) -> FastAPI:
    web = FastAPI(title="Kampung Bahagia", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.app = app

    @web.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    for router in routers:
        web.include_router(router)
    dashboard.install(web)
    return web


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the runner owns SIGINT/SIGTERM and sets `stop`; uvicorn must not take them over


async def serve(app: App, stop: asyncio.Event, routers: Sequence[APIRouter] = ()) -> None:
    """Serve the web app on WEB_HOST:WEB_PORT until `stop`."""
    config = uvicorn.Config(
        create_web_app(app, routers),
        host=app.settings.web_host,
        port=app.settings.web_port,
        log_level="warning",
        lifespan="off",
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
        await serving


async def part(app: App, stop: asyncio.Event) -> None:
    """The web app alone, as a runner Part (no channel takes webhooks: the health check, the dashboard later)."""
    await serve(app, stop)
