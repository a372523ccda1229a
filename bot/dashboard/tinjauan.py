"""Tinjauan (the review queue), a report's page, and marking an example: thin routes over handlers/dashboard/tinjauan.

Every decision is a POST with the session's CSRF token (checked before anything else), in one unit of work with
the sender's notice: if the page fails, neither the decision nor the message happens.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.auth import app_of, checked_form, viewer
from handlers.dashboard import tinjauan
from handlers.dashboard.pages import not_found
from handlers.dashboard.tinjauan import Shown

router = APIRouter()


def _html(shown: Shown) -> HTMLResponse:
    return HTMLResponse(shown.html, status_code=shown.status)


@router.get("/tinjauan", response_class=HTMLResponse)
async def queue(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return _html(await tinjauan.queue_page(session, app.program, signed_in))


@router.get("/tinjauan/{report_id}", response_class=HTMLResponse)
async def one_report(request: Request, report_id: int) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return _html(await tinjauan.queue_page(session, app.program, signed_in, report_id))


@router.post("/tinjauan/{report_id}/{action}", response_class=HTMLResponse)
async def decide(request: Request, report_id: int, action: str) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        if action not in (tinjauan.APPROVE, tinjauan.SEND_BACK):
            return HTMLResponse(not_found(signed_in), status_code=404)
        reason = form.get("alasan")
        return _html(
            await tinjauan.decide(
                session,
                app.program,
                signed_in,
                report_id,
                action,
                now=app.clock(),
                reason=reason if isinstance(reason, str) else "",
                fix=[part for part in form.getlist("perbaiki") if isinstance(part, str)],
            )
        )


@router.get("/laporan/{report_id}", response_class=HTMLResponse)
async def report_page(request: Request, report_id: int) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return _html(await tinjauan.laporan_page(session, app.program, signed_in, report_id))


@router.post("/laporan/{report_id}/contoh")
async def contoh(request: Request, report_id: int) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        marked = form.get("aksi") != "hapus"
        shown = await tinjauan.set_contoh(session, app.program, signed_in, report_id, marked, now=app.clock())
    if shown is not None:
        return _html(shown)
    # Post/redirect/get: the report page shows the mark, and a reload posts nothing again.
    return RedirectResponse(f"/laporan/{report_id}", status_code=303)
