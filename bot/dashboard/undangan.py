"""`/undangan`: printable invitation codes for the Ketua RT of one kelurahan's RTs (as `invite create --all-rts`:
RTs with an active Ketua RT skipped), with their one-tap links and QR codes. The codes exist in clear only in the
response that prints them: stored hashed, and the page is never cached."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from bot.bootstrap import invite_links
from bot.dashboard.auth import app_of, checked_form, viewer
from handlers.dashboard.pages import not_found, refused
from handlers.dashboard.undangan import cetak_page, undangan_page
from services import invitations
from services.assignments import rts_for
from services.models import RT, Role

router = APIRouter()
# The printed codes must not stay in a shared computer's browser cache or be shown again by "back".
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/undangan", response_class=HTMLResponse)
async def undangan(request: Request) -> HTMLResponse:
    async with app_of(request).db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        return HTMLResponse(await undangan_page(session, signed_in))


@router.post("/undangan", response_class=HTMLResponse)
async def cetak(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        kode = str(form.get("kelurahan") or "")
        rts = [rt for rt in await rts_for(session, signed_in.person) if rt.kelurahan_kode == kode]
        if not rts:
            exists = await session.scalar(select(RT.id).where(RT.kelurahan_kode == kode).limit(1))
            if exists is None:
                return HTMLResponse(not_found(signed_in), status_code=404)
            return HTMLResponse(refused(signed_in), status_code=403)
        batch = await invitations.create_for_free_seats(
            session, app.pepper, rts, role=Role.KETUA_RT, created_by=f"web:{signed_in.person.id}"
        )
        # Rendered inside the unit of work: if the page cannot be made, no code is kept that nobody has seen.
        body = cetak_page(signed_in, rts[0].kelurahan.nama, rts, batch, invite_links(app.settings))
    return HTMLResponse(body, headers=NO_STORE)
