"""The dashboard's own routes: signing in and out, the overview, and photos behind the permission check.

Each route is thin: one unit of work, who is asking (bot/dashboard/auth.py), a page from handlers/dashboard.
Other pages add their routers beside this one (bot/dashboard/app.py lists them).
"""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from bot.dashboard.auth import (
    app_of,
    checked_form,
    clear_session_cookie,
    cookie_token,
    set_session_cookie,
    viewer,
)
from bot.dashboard.rt import program_today
from handlers.dashboard.pages import not_found, page, refused, speaking
from handlers.dashboard.ringkasan import ringkasan_page
from handlers.dashboard.signin import link_problem
from handlers.i18n import _
from services import web_sessions
from services.assignments import may_see
from services.media import MediaStore
from services.models import RT, Media, Role
from services.problems import ProblemError

router = APIRouter()


def _sign_in_page(problem: str | None = None, status_code: int = 200) -> HTMLResponse:
    with speaking(None):
        title = _("Sign in")
    return HTMLResponse(page("masuk.html", None, title=title, problem=problem), status_code=status_code)


@router.get("/masuk", response_class=HTMLResponse)
async def sign_in_help() -> HTMLResponse:
    return _sign_in_page()


@router.get("/masuk/{token}")
async def open_link(request: Request, token: str) -> Response:
    app = app_of(request)
    try:
        async with app.db.unit_of_work() as session:
            opened = await web_sessions.redeem_link(
                session,
                token,
                app.pepper,
                now=app.clock(),
                actor=f"web:{request.client.host if request.client else ''}",
            )
    except ProblemError as error:
        with speaking(None):
            problem = link_problem(error)
        return _sign_in_page(problem, status_code=400)
    # 303 so the link (with its used token) is not what the address bar keeps or what a refresh posts again.
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, opened.token)
    return response


@router.post("/keluar")
async def sign_out(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        await checked_form(request, signed_in)
        await web_sessions.sign_out(
            session, cookie_token(request) or "", app.pepper, now=app.clock(), actor=f"web:{signed_in.person.id}"
        )
    response = RedirectResponse("/masuk", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return HTMLResponse(await ringkasan_page(session, app.program, signed_in, program_today(app)))


@router.get("/media/{media_id}")
async def media_file(request: Request, media_id: int, thumb: bool = False) -> Response:
    """A stored photo or document, for those who may see its RT; `?thumb=1` the small version of a photo."""
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        media = await session.get(Media, media_id)
        rt = await session.get(RT, media.rt_id) if media is not None and media.rt_id is not None else None
        if media is None:
            return HTMLResponse(not_found(signed_in), status_code=404)
        allowed = may_see(signed_in.person, rt) if rt is not None else signed_in.person.role == Role.ADMIN
        if not allowed:
            return HTMLResponse(refused(signed_in), status_code=403)
    store = MediaStore(app.settings.media_dir)
    path = store.thumbnail_of(media) if thumb else None
    if path is not None:
        return FileResponse(path, media_type="image/jpeg", headers=_private())
    path = store.absolute(media.path)
    if not path.is_file():
        return HTMLResponse(not_found(signed_in), status_code=404)
    return FileResponse(path, media_type=media.mime_type, headers=_private())


def _private() -> dict[str, str]:
    # A photo of a resident is not for shared caches (a proxy, the next user of a kiosk browser).
    return {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
