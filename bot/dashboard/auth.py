"""Who is asking: the session cookie (signed, HttpOnly, SameSite=Lax, Secure over HTTPS) and the CSRF check.

A route asks `await viewer(request, session)`; without a valid session it raises `NotSignedIn`, which the app
turns into a redirect to the sign-in page (or 401 for a non-page request). A form post asks `await
checked_form(request, viewer)`; a missing or wrong CSRF token raises `CsrfRefused` (403), nothing is done.
"""

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.bootstrap import App
from services import web_sessions
from services.web_sessions import IDLE_LIMIT, SignedIn

COOKIE = "kb_sesi"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class NotSignedIn(Exception):
    """No session, an ended or idle one, a forged cookie, or a person who may no longer sign in."""


class CsrfRefused(Exception):
    """A form post without the session's CSRF token."""


def app_of(request: Request) -> App:
    return request.app.state.app


def _signature(app: App, token: str) -> str:
    return hmac.new(app.pepper, b"cookie:" + token.encode(), hashlib.sha256).hexdigest()[:32]


def sign(app: App, token: str) -> str:
    return f"{token}.{_signature(app, token)}"


def unsign(app: App, value: str | None) -> str | None:
    """The token of a cookie we signed; None for a missing or forged one (refused before any database query)."""
    if not value or "." not in value:
        return None
    token, signature = value.rsplit(".", 1)
    return token if hmac.compare_digest(signature, _signature(app, token)) else None


def secure_cookies(request: Request) -> bool:
    public = app_of(request).settings.public_web_url()
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        sign(app_of(request), token),
        max_age=int(IDLE_LIMIT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))


def cookie_token(request: Request) -> str | None:
    return unsign(app_of(request), request.cookies.get(COOKIE))


async def maybe_viewer(request: Request, session: AsyncSession) -> SignedIn | None:
    token = cookie_token(request)
    if token is None:
        return None
    app = app_of(request)
    return await web_sessions.signed_in(session, token, app.pepper, now=app.clock())


async def viewer(request: Request, session: AsyncSession) -> SignedIn:
    found = await maybe_viewer(request, session)
    if found is None:
        raise NotSignedIn()
    return found


async def checked_form(request: Request, signed_in: SignedIn) -> FormData:
    """The posted form, once its CSRF token (field `csrf`, or the X-CSRF-Token header) is the session's."""
    form = await request.form()
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not isinstance(given, str) or not signed_in.csrf_ok(given):
        await form.close()  # an uploaded file's temporary copy goes now, not when the request object is collected
        raise CsrfRefused()
    return form
