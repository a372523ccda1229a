"""`/roster`: admins upload the RT roster (CSV or XLSX) with the CLI's validation and import (services/roster.py):
every bad row listed, nothing imported on any error, the counts on success."""

from pathlib import PurePath

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from bot.dashboard.auth import app_of, checked_form, viewer
from handlers.dashboard.pages import refused, speaking
from handlers.dashboard.roster import MAX_UPLOAD_BYTES, no_file, roster_page, too_large
from services import roster
from services.models import Role
from services.problems import ProblemError
from services.web_sessions import SignedIn

router = APIRouter()
# The multipart envelope around the file (boundaries, the CSRF field) on top of the file's own limit.
ENVELOPE = 64 * 1024


def _page(signed_in: SignedIn, status_code: int = 200, **values) -> HTMLResponse:
    return HTMLResponse(roster_page(signed_in, **values), status_code=status_code)


def _problem(signed_in: SignedIn, sentence, status_code: int) -> HTMLResponse:
    with speaking(signed_in):
        problem = sentence()
    return _page(signed_in, status_code, problem=problem)


@router.get("/roster", response_class=HTMLResponse)
async def roster_form(request: Request) -> HTMLResponse:
    async with app_of(request).db.unit_of_work() as session:
        signed_in = await viewer(request, session)
    if signed_in.person.role != Role.ADMIN:
        return HTMLResponse(refused(signed_in), status_code=403)
    return _page(signed_in)


@router.post("/roster", response_class=HTMLResponse)
async def roster_upload(request: Request) -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        if signed_in.person.role != Role.ADMIN:
            return HTMLResponse(refused(signed_in), status_code=403)
        declared = request.headers.get("content-length", "")
        # Refused before the body is read: a huge upload is not parsed (nor spooled to disk) only to be refused.
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + ENVELOPE:
            return _problem(signed_in, too_large, 413)
        form = await request.form()
        try:  # closed whatever happens (a refused CSRF token too): the upload's temporary file goes at once
            await checked_form(request, signed_in)
            upload = form.get("berkas")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _problem(signed_in, no_file, 400)
            file_name = upload.filename
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
        finally:
            await form.close()
    if len(data) > MAX_UPLOAD_BYTES:
        return _problem(signed_in, too_large, 413)
    try:
        table = roster.read_bytes(data, PurePath(file_name).suffix)
        # One unit of work: any bad row raises before the commit, and nothing of the file stays.
        async with app.db.unit_of_work() as session:
            summary = await roster.validate_and_import(session, table, app.program, actor=f"web:{signed_in.person.id}")
    except ProblemError as error:
        return _page(signed_in, 400, error=error, file_name=file_name)
    return _page(signed_in, summary=summary)
