"""The RT list, an RT's page and the exports: thin routes over handlers/dashboard (pages) and services/exports.py.

Exports stream: the CSV as it is written, the XLSX and ZIP files from a temp file deleted once sent. Each export
reads in its own unit of work, and only RTs the viewer may see reach a file (services/rt_table.py).
"""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from bot.bootstrap import App
from bot.dashboard.auth import app_of, viewer
from handlers.dashboard.pages import not_found, refused, speaking
from handlers.dashboard.rt_list import rt_list_page
from handlers.dashboard.rt_page import rt_page
from handlers.dashboard.rt_words import export_labels
from services.exports import evidence_pack, table_csv, table_xlsx
from services.media import MediaStore
from services.models import RT, Kelurahan
from services.rt_filter import RTFilter, Sort
from services.wib import WIB

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def program_today(app: App) -> date:
    """The program's today (WIB), which the stage statuses are computed for."""
    return app.clock().astimezone(WIB).date()


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}


def _file(path, media_type: str, name: str) -> FileResponse:
    return FileResponse(
        path, media_type=media_type, headers=_attachment(name), background=BackgroundTask(path.unlink, missing_ok=True)
    )


@router.get("/rt", response_class=HTMLResponse)
async def rt_list(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        html = await rt_list_page(session, app.program, signed_in, request.query_params, program_today(app))
    return HTMLResponse(html)


@router.get("/rt/ekspor.csv")
async def rt_csv(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
    with speaking(signed_in):
        labels = export_labels()
    f = RTFilter.from_query(request.query_params, app.program)
    sort = Sort.from_query(request.query_params.get("sort"))
    person, today = signed_in.person, program_today(app)

    async def chunks():
        # Its own unit of work: the response is written after the route returned.
        async with app.db.unit_of_work() as session:
            async for chunk in table_csv(session, app.program, person, f, today, sort, labels):
                yield chunk

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers=_attachment("rt.csv"))


@router.get("/rt/ekspor.xlsx")
async def rt_xlsx(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        with speaking(signed_in):
            labels = export_labels()
        f = RTFilter.from_query(request.query_params, app.program)
        sort = Sort.from_query(request.query_params.get("sort"))
        path = await table_xlsx(
            session, app.program, signed_in.person, f, program_today(app), sort, labels, folder=_temp(app)
        )
    return _file(path, XLSX, "rt.xlsx")


def _temp(app: App):
    folder = app.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@router.get("/rt/{rt_id}", response_class=HTMLResponse)
async def one_rt(request: Request, rt_id: int) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        shown = await rt_page(session, app.program, signed_in, rt_id, program_today(app))
    return HTMLResponse(shown.html, status_code=shown.status)


@router.get("/rt/{rt_id}/bukti.zip")
async def rt_pack(request: Request, rt_id: int) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        with speaking(signed_in):
            labels = export_labels()
        rt = await session.get(RT, rt_id)
        path = None
        if rt is not None:
            store = MediaStore(app.settings.media_dir)
            path = await evidence_pack(
                session, app.program, store, signed_in.person, program_today(app), labels, rt_id=rt_id,
                folder=_temp(app),
            )  # fmt: skip
    if rt is None:
        return HTMLResponse(not_found(signed_in), status_code=404)
    if path is None:
        return HTMLResponse(refused(signed_in), status_code=403)
    return _file(path, "application/zip", f"bukti-{rt.kode}.zip")


@router.get("/kelurahan/{kode}/bukti.zip")
async def kelurahan_pack(request: Request, kode: str) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        with speaking(signed_in):
            labels = export_labels()
        kelurahan = await session.get(Kelurahan, kode)
        path = None
        if kelurahan is not None:
            store = MediaStore(app.settings.media_dir)
            path = await evidence_pack(
                session, app.program, store, signed_in.person, program_today(app), labels, kelurahan=kode,
                folder=_temp(app),
            )  # fmt: skip
    if kelurahan is None:
        return HTMLResponse(not_found(signed_in), status_code=404)
    if path is None:
        # None of its RTs is the viewer's (or it has none).
        return HTMLResponse(refused(signed_in), status_code=403)
    return _file(path, "application/zip", f"bukti-{kode}.zip")
