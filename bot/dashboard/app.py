"""Adding the dashboard to the web app: its routers, its static files, and what a refusal looks like."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.dashboard import roster, routes, rt, siaran, simulator, tinjauan, undangan
from bot.dashboard.auth import CsrfRefused, NotSignedIn
from handlers.dashboard.pages import message_page, speaking
from handlers.i18n import _

STATIC = Path(__file__).parent / "static"
ROUTERS = (routes.router, tinjauan.router, roster.router, undangan.router, siaran.router, simulator.router, rt.router)
# Everything the pages use is served by the app itself (no CDN: the city's network may be offline), so the
# browser may load nothing from elsewhere, and no other site may frame a page or post to it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def install(web: FastAPI) -> None:
    for router in ROUTERS:
        web.include_router(router)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.add_exception_handler(NotSignedIn, _not_signed_in)
    web.add_exception_handler(CsrfRefused, _csrf_refused)

    @web.middleware("http")
    async def _headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")  # a sign-in link never leaks in a Referer
        return response


async def _not_signed_in(request: Request, _error: Exception) -> Response:
    if request.method == "GET" and "text/html" in request.headers.get("accept", "text/html"):
        return RedirectResponse("/masuk", status_code=303)
    return JSONResponse({"error": "not signed in"}, status_code=401)


async def _csrf_refused(request: Request, _error: Exception) -> Response:
    with speaking(None):
        body = message_page(
            None,
            _("Form expired"),
            _("This form could not be checked (it may be from an old page). Reload the page and try again."),
        )
    return HTMLResponse(body, status_code=403)
