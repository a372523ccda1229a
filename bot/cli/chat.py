"""`kampung-bahagia chat [--code INVITATION | --as PERSON]`: the bot in this terminal, for trying it out.

Identities: without options the terminal is the console identity `local`; `--code` uses an identity derived from
the code (running the same command again continues as the same person); `--as` speaks as an existing person
through their console identity. Meant for the embedded demo database: elsewhere it needs --force.
"""

import asyncio
import hashlib
import sys

import typer
from sqlalchemy import func, select

from bot import migrate
from bot.bootstrap import App, bootstrap
from bot.channels.console import CHANNEL, ConsoleChannel
from bot.cli.common import Refused, console, errors
from bot.cli.operator_texts import OperatorTexts, safe_url
from bot.runner import Part, prepare
from bot.settings import Settings
from handlers.i18n import _, use_locale
from handlers.menu import role_name
from services import audit, invitations, numbers, seats
from services.models import RT, ChannelIdentity, Person, Role
from services.people import bind_identity, normalize_phone

LOCAL_IDENTITY = "local"
ACTOR = "cli:chat"


def code_identity(code: str) -> str:
    # A hash, not the code: identities are visible in the database and the code is a secret until used.
    return "code-" + hashlib.sha256(invitations.normalize_code(code).encode()).hexdigest()[:16]


async def find_people(session, reference: str) -> list[Person]:
    """People matching an id, a phone number or a name (exact, else part of the name)."""
    text = reference.strip()
    if len(text) <= 9 and (person_id := numbers.record_id(text)) is not None and not text.startswith("0"):
        person = await session.get(Person, person_id)
        return [person] if person else []
    phone = normalize_phone(text)
    if phone:
        return list(await session.scalars(select(Person).where(Person.phone == phone).order_by(Person.id)))
    exact = list(
        await session.scalars(select(Person).where(func.lower(Person.nama) == text.lower()).order_by(Person.id))
    )
    if exact or not text:
        return exact
    pattern = f"%{text.lower()}%"
    return list(await session.scalars(select(Person).where(func.lower(Person.nama).like(pattern)).order_by(Person.id)))


def describe_person(person: Person) -> str:
    return _("{name}, {role}", name=person.nama or "-", role=role_name(person.role))


def people_listing(people: list[Person]) -> str:
    """One line per person (id: name, role), the first 20: to pick one by its number."""
    return "\n".join(f"  {p.id}: {describe_person(p)}" for p in people[:20])


async def identity_as(app: App, reference: str) -> str:
    """The console identity of the person `reference` names, bound now if they have none."""
    async with app.db.unit_of_work() as session:
        people = await find_people(session, reference)
        if not people:
            raise _Refused(_("Nobody matches {reference}.", reference=reference))
        if len(people) > 1:
            listing = people_listing(people)
            raise _Refused(
                _(
                    "Several people match {reference}:\n{people}\nUse the number: kampung-bahagia chat --as ID",
                    reference=reference,
                    people=listing,
                )
            )
        person = people[0]
        existing = await session.scalar(
            select(ChannelIdentity.external_id)
            .where(ChannelIdentity.person_id == person.id, ChannelIdentity.channel == CHANNEL)
            .order_by(ChannelIdentity.id)
        )
        if existing:
            return existing
        external_id = f"person-{person.id}"
        await bind_identity(session, person, channel=CHANNEL, external_id=external_id)
        audit.record(
            session, actor=ACTOR, action="identity.bind", entity="person", entity_id=person.id, channel=CHANNEL
        )
        return external_id


class _Refused(Exception):
    """The command cannot go on; the message says why and what to do."""


async def _read_line() -> str | None:
    def read() -> str | None:
        try:
            line = input("> ")
        except EOFError:
            return None
        if not sys.stdin.isatty():
            # Piped input is not echoed by a terminal: show it, so the transcript reads as a conversation.
            print(line, flush=True)
        return line

    return await asyncio.to_thread(read)


async def _session(settings: Settings, code: str | None, as_person: str | None) -> None:
    app = bootstrap(settings)
    try:
        await prepare(app, console.print, OperatorTexts())
        if as_person:
            user_id = await identity_as(app, as_person)
        else:
            user_id = code_identity(code) if code else LOCAL_IDENTITY
        engine = app.engine()
        channel = ConsoleChannel(engine, user_id, write=lambda text: print(text, flush=True))
        print(_("Kampung Bahagia bot in this terminal. Type /keluar or press Ctrl-D to stop."), flush=True)
        print(_("Photos: /foto PATH (several paths make an album). Location: /lokasi LAT,LON."), flush=True)
        print("", flush=True)
        flow, question = (None, None) if code else await channel.current()
        if code:
            await channel.send(f"/start {code}")
        elif flow:
            print(_("You were in the middle of /{flow}: type your answer, or /batal to cancel.", flow=flow), flush=True)
            channel.show([question] if question else [])
        else:
            await channel.send("/start")
        await channel.run(_read_line)
    finally:
        await app.close()


def chat(
    code: str = typer.Option(None, "--code", help=_("Register with this invitation code first.")),
    as_person: str = typer.Option(None, "--as", help=_("Speak as this person: id, phone number or name.")),
    force: bool = typer.Option(False, "--force", help=_("Allow a database other than the embedded default.")),
) -> None:
    settings = Settings()
    with use_locale("id"):
        if code and as_person:
            raise Refused(_("Use either --code or --as, not both."))
        if not settings.is_embedded_default and not force:
            errors.print(
                _(
                    "chat is meant for the embedded demo database; DATABASE_URL is {url}. "
                    "Add --force to use it anyway.",
                    url=safe_url(settings.database_url),
                ),
                highlight=False,
                markup=False,
            )
            raise typer.Exit(2)
        migrate.upgrade(settings.database_url)
        try:
            asyncio.run(_session(settings, code, as_person))
        except _Refused as refused:
            errors.print(str(refused), highlight=False, markup=False)
            raise typer.Exit(1) from refused
        except KeyboardInterrupt:
            pass
        print(_("Goodbye."), flush=True)


def console_offer(settings: Settings) -> list[Part]:
    """For `run` without any messaging channel: a part that shows how to try the bot in a terminal."""
    if settings.telegram_bot_token is not None or not sys.stdin.isatty():
        return []

    async def offer(app: App, _stop: asyncio.Event) -> None:
        with use_locale("id"):
            for line in await offer_lines(app):
                console.print(line, highlight=False, markup=False, soft_wrap=True)

    return [offer]


async def offer_lines(app: App) -> list[str]:
    """How to try the bot here; on the embedded default with a fresh demo Ketua RT code for the first RT."""
    force = "" if app.settings.is_embedded_default else " --force"
    lines = [_("No messaging channel is configured. Try the bot in another terminal:")]
    async with app.db.unit_of_work() as session:
        if app.settings.is_embedded_default:
            # The first RT whose Ketua RT seat is free: a code for a held seat could never be redeemed.
            held = seats.held_rt_ids(Role.KETUA_RT.value)
            rt = await session.scalar(select(RT).where(RT.id.not_in(held)).order_by(RT.kode).limit(1))
            if rt is not None:
                issued = await invitations.create_invitation(
                    session, app.pepper, role=Role.KETUA_RT, created_by="run:demo", rt=rt, nama=_("Demo Ketua RT")
                )
                note = _("a new Ketua RT of RT {rt}", rt=rt.kode)
                lines.append(f"  kampung-bahagia chat --code {invitations.display_code(issued.code)}    ({note})")
        for role in (Role.ADMIN, Role.KETUA_RT, Role.PENDAMPING):
            person = await session.scalar(
                select(Person).where(Person.role == role, Person.active.is_(True)).order_by(Person.id).limit(1)
            )
            if person is not None:
                lines.append(f"  kampung-bahagia chat --as {person.id}{force}    ({describe_person(person)})")
                break
    return lines if len(lines) > 1 else []


def register(app: typer.Typer) -> None:
    app.command("chat", help=_("Talk to the bot in this terminal (numbers pick choices; /foto PATH sends a photo)."))(
        chat
    )
