"""`/siaran`: the history of broadcasts and reminders with their delivery reports, a broadcast's detail, and
starting a broadcast in two posts — a preview with the recipients and WhatsApp's quota plan, then the send."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.auth import app_of, checked_form, viewer
from handlers.dashboard.pages import not_found, speaking
from handlers.dashboard.siaran import (
    already_sent_notice,
    cancelled_notice,
    check,
    confirm_page,
    detail_page,
    send,
    sent_notice,
    siaran_page,
)
from services import broadcast_history

router = APIRouter()


def _field(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get("/siaran", response_class=HTMLResponse)
async def siaran(request: Request, halaman: str = "1") -> HTMLResponse:
    # A page number edited by hand into nonsense shows the first page, not an error.
    page_number = int(halaman) if halaman.isdigit() else 1
    async with app_of(request).db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return HTMLResponse(await siaran_page(session, signed_in, page_number=page_number))


@router.post("/siaran/pratinjau", response_class=HTMLResponse)
async def preview(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        now = app.clock()
        checked = await check(session, app.program, signed_in, _field(form, "penerima"), _field(form, "teks"), now)
        if checked.problem:
            body = await siaran_page(
                session, signed_in, choice=checked.choice, text=checked.text, problem=checked.problem
            )
            return HTMLResponse(body, status_code=400)
        return HTMLResponse(await confirm_page(session, signed_in, checked, now, app.settings.whatsapp_daily_limit))


@router.post("/siaran/kirim")
async def send_or_not(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        action = _field(form, "aksi")
        choice, text = _field(form, "penerima"), _field(form, "teks")
        if action == "ubah":
            return HTMLResponse(await siaran_page(session, signed_in, choice=choice, text=text))
        if action != "kirim":
            with speaking(signed_in):
                notice = cancelled_notice()
            return HTMLResponse(await siaran_page(session, signed_in, notice=notice))
        # Checked again, and the audience chosen again: the form came back from the browser.
        now = app.clock()
        checked = await check(session, app.program, signed_in, choice, text, now)
        if checked.problem:
            body = await siaran_page(
                session, signed_in, choice=checked.choice, text=checked.text, problem=checked.problem
            )
            return HTMLResponse(body, status_code=400)
        broadcast, new = await send(
            session,
            app.program,
            signed_in,
            checked,
            now=now,
            daily_limit=app.settings.whatsapp_daily_limit,
            actor=f"web:{signed_in.person.id}",
        )
    # 303 to the broadcast's page: a reload shows it again instead of posting (and sending) a second time.
    return RedirectResponse(f"/siaran/{broadcast.id}?{'baru' if new else 'lagi'}=1", status_code=303)


@router.get("/siaran/{broadcast_id}", response_class=HTMLResponse)
async def detail(request: Request, broadcast_id: int, baru: bool = False, lagi: bool = False) -> HTMLResponse:
    async with app_of(request).db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        broadcast = await broadcast_history.may_see_broadcast(session, signed_in.person, broadcast_id)
        if broadcast is None:
            return HTMLResponse(not_found(signed_in), status_code=404)
        notice = None
        if baru or lagi:
            with speaking(signed_in):
                notice = sent_notice(broadcast.total) if baru else already_sent_notice(broadcast.created_at)
        return HTMLResponse(await detail_page(session, signed_in, broadcast, notice=notice))
