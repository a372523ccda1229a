"""The simulator's routes: the page (GET), and three forms — start a training, send a message, start it over.

Each form is checked for CSRF, then answered with a redirect to the page (POST → redirect → GET), so a reload
never sends a message twice and the page works without JavaScript. The conversation itself is the core's
(`App.engine()`), through the simulator channel (bot/channels/simulator.py), in its own unit of work: the route's
reads are committed before the core writes (SQLite has one writer at a time).
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from bot.channels.simulator import SimulatorChannel, new_nonce, read_upload
from bot.dashboard.auth import app_of, checked_form, viewer
from handlers.dashboard.simulator import played_role, sent_payload, simulator_page, training_names
from handlers.messages import Incoming
from handlers.payload import payload_of
from services import numbers, simulator_log, training
from services.models import utcnow

router = APIRouter()
PAGE = "/simulator"
# Each retry loses only to one other starter: enough for a room of people pressing "Mulai latihan" together.
START_ATTEMPTS = 10


def _back(role: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?peran={role}{anchor}", status_code=303)


@router.get(PAGE, response_class=HTMLResponse)
async def simulator(request: Request, peran: str = "") -> HTMLResponse:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        body = await simulator_page(session, signed_in, played_role(peran), now=utcnow(), nonce=new_nonce())
    # The conversation changes with every message: never a stale copy from the browser's cache.
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@router.post(f"{PAGE}/mulai")
async def start(request: Request) -> Response:
    app = app_of(request)
    for attempt in range(START_ATTEMPTS):
        try:
            async with app.db.unit_of_work() as session:
                signed_in = await viewer(request, session)
                form = await checked_form(request, signed_in)
                names = training_names(signed_in)
                actor = f"web:{signed_in.person.id}"
                await training.start_training(session, signed_in.person, names, actor=actor, now=app.clock())
            break
        except IntegrityError:
            # Two people of one kelurahan starting at the same moment took the same RT number: the later one
            # tries again and gets the next number (or, the same person twice, finds the training made).
            if attempt == START_ATTEMPTS - 1:
                raise
    return _back(played_role(form.get("peran")))


@router.post(f"{PAGE}/ulang")
async def reset(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        person = signed_in.person
        await training.reset_training(session, person, actor=f"web:{person.id}")
    for role in training.ROLES:
        SimulatorChannel(app.engine(), training.user_id(person, role), app.settings.data_dir).forget_uploads()
    return _back(played_role(form.get("peran")))


@router.post(f"{PAGE}/kirim")
async def send(request: Request) -> Response:
    app = app_of(request)
    async with app.db.unit_of_work() as session:
        signed_in = await viewer(request, session)
        form = await checked_form(request, signed_in)
        role = played_role(form.get("peran"))
        found = await training.training_of(session, signed_in.person)
        if found is None or role not in found.people:
            return _back(role)
        user_id = training.user_id(signed_in.person, role)
        person_id = found.people[role].id
        choice = form.get("pilihan")
        label = await simulator_log.last_choice_label(session, user_id, choice) if isinstance(choice, str) else None
    channel = SimulatorChannel(app.engine(), user_id, app.settings.data_dir)
    try:
        message = await _message(channel, form, label)
    finally:
        await form.close()  # uploads are spooled to temporary files: closed (deleted) once read
    if message is None:
        return _back(role)
    incoming, sent = message
    at = utcnow()
    replies = await channel.send(incoming)
    if replies:  # none: this very form was handled before (sent twice)
        async with app.db.unit_of_work() as session:
            simulator_log.record_sent(session, user_id, incoming.update_id, sent, at=at)
            answers = [payload_of(reply) for reply in replies]
            simulator_log.record_answers(session, user_id, person_id, answers, at=utcnow())
    return _back(role, "#akhir")


async def _message(channel: SimulatorChannel, form, label: str | None) -> tuple[Incoming, dict] | None:
    """The Incoming a posted form stands for, with what the transcript shows of it; None for an empty form."""
    nonce = form.get("kirim") if isinstance(form.get("kirim"), str) else None
    choice = form.get("pilihan")
    if isinstance(choice, str) and choice:
        token = form.get("token")
        version = numbers.whole_number(token, maximum=numbers.MAX_ID) if isinstance(token, str) else None
        return channel.choice(choice, version, nonce), sent_payload("choice", label or choice)
    files = [f for f in form.getlist("berkas") if isinstance(f, UploadFile)]
    if files:
        uploads = [await read_upload(f, f.filename or "", f.content_type) for f in files]
        incoming = await channel.media(uploads, nonce)
        if incoming is None:
            return None
        return incoming, sent_payload("media", files=tuple(u.name for u in uploads))
    text = form.get("teks")
    incoming = channel.text(text, nonce) if isinstance(text, str) else None
    return (incoming, sent_payload("text", incoming.text)) if incoming else None
