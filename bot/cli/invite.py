"""`kampung-bahagia invite create|list|revoke`"""

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.bootstrap import App
from bot.channels.telegram.links import bot_username, deep_link
from bot.channels.whatsapp.links import daftar_link, whatsapp_number
from bot.cli.common import Refused, console, run_with_app
from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.menu import role_name
from handlers.problems import invitation_state_name
from services import invitations, rts, seats
from services.assignments import real_rt
from services.models import RT, Invitation, Kelurahan, Person, Role
from services.people import find_or_create_pendamping
from services.problems import ProblemError
from services.visible_text import visible_name

app = typer.Typer(help=_("Invitation codes."), no_args_is_help=True)
ACTOR = "cli:invite"


def _as_dict(issued: invitations.IssuedInvitation) -> dict:
    return {
        "id": issued.invitation.id,
        "code": issued.code,
        "code_display": invitations.display_code(issued.code),
        "role": issued.invitation.role,
        "rt": issued.rt_kode,
        "rts": issued.invitation.rt_ids,
        "expires_at": issued.invitation.expires_at.isoformat(),
    }


@app.command("create", help=_("Create an invitation (the code is shown once and stored only hashed)."))
def create(
    role: Role = typer.Option(None, help=_("ketua_rt, bendahara, pendamping or admin.")),
    rt: list[str] = typer.Option(None, "--rt", help=_("RT code; repeat for a pendamping's RT set.")),
    all_rts: bool = typer.Option(False, "--all-rts", help=_("One invitation per RT (ketua_rt or bendahara).")),
    out: Path = typer.Option(None, help=_("With --all-rts: the .xlsx file to write for printing.")),
    person: str = typer.Option(None, help=_("Pendamping from the roster, by name or phone.")),
    nama: str = typer.Option(None, help=_("Name of the invited person.")),
    days: int = typer.Option(30, min=1, max=365, help=_("Days until the code expires.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print one JSON object.")),
    ganti: bool = typer.Option(
        False,
        "--ganti",
        help=_(
            "Invite a replacement for a seat someone holds (ketua_rt or bendahara): when the new person registers "
            "with the code, the current holder loses access and is told so."
        ),
    ),
    for_person: str = typer.Option(
        None,
        "--for-person",
        help=_(
            "Someone already registered (id, phone or name): a code that adds a second channel to the same "
            "person, e.g. WhatsApp beside Telegram. Role and RT are theirs."
        ),
    ),
) -> None:
    from datetime import timedelta

    validity = timedelta(days=days)
    if role is None and for_person is None:
        raise Refused(_("Give --role (or --for-person for someone already registered)."))
    if ganti and (all_rts or role not in (Role.KETUA_RT, Role.BENDAHARA)):
        raise Refused(_("--ganti is for one seat: --role ketua_rt or bendahara with one --rt."))
    if all_rts:
        if out is None or out.suffix.lower() != ".xlsx":
            raise Refused(_("--all-rts needs --out FILE.xlsx"))
        count, held = run_with_app(lambda app_: _create_for_all(app_, role, validity, out))
        console.print(_("{count} invitations written to {file}.", count=count, file=str(out)))
        if held:
            console.print(
                _("{count} RTs skipped: they already have an active {role}.", count=held, role=role_name(role.value)),
                highlight=False,
            )
        return

    async def work(app_: App) -> dict:
        # Asked before the code exists: whatever happens while asking, no code is made that nobody has seen.
        username = await bot_username(app_.settings)
        async with app_.db.unit_of_work() as session:
            if for_person is not None:
                issued = await _for_existing(app_, session, for_person, validity)
                return _with_links(app_, _as_dict(issued), issued.code, username)
            rt_rows = [await rts.get_rt(session, code) for code in rt or []]
            pendamping = await find_or_create_pendamping(session, person) if person else None
            if role in (Role.KETUA_RT, Role.BENDAHARA) and len(rt_rows) != 1:
                raise ProblemError.one("invite_needs_rt", role=role.value)
            replaces = None
            if role in (Role.KETUA_RT, Role.BENDAHARA):
                # One holder per seat: a plain code for a held seat could never be redeemed. With --ganti the code
                # names the holder, who is deactivated when it is redeemed (services/seats.make_room).
                replaces = await seats.holder(session, rt_rows[0].id, role.value)
                if replaces is not None and not ganti:
                    raise await seats.taken_problem(session, rt_rows[0].id, role.value, replaces)
            issued = await invitations.create_invitation(
                session,
                app_.pepper,
                role=role,
                created_by=ACTOR,
                rt=rt_rows[0] if role in (Role.KETUA_RT, Role.BENDAHARA) else None,
                rts=rt_rows if role == Role.PENDAMPING else None,
                person=pendamping,
                nama=visible_name(nama),
                replaces=replaces,
                validity=validity,
            )
            data = _as_dict(issued)
            data["replaces"] = {"id": replaces.id, "nama": replaces.nama} if replaces else None
        return _with_links(app_, data, issued.code, username)

    data = run_with_app(work)
    if as_json:
        print(json.dumps(data))
        return
    rt_text = ", RT " + data["rt"] if data["rt"] else ""  # after the role: "Ketua RT, RT 15.71.01.1001-003"
    console.print(
        _(
            "Invitation for {role}{rt}: [bold]{code}[/bold] (valid until {until}).",
            role=role_name(data["role"]),
            rt=rt_text,
            code=data["code_display"],
            until=tanggal(datetime.fromisoformat(data["expires_at"])),
        )
    )
    if data.get("replaces"):
        console.print(
            _(
                "When this code is used, {name} (person {id}) loses the seat and is told so.",
                name=data["replaces"]["nama"] or "-",
                id=data["replaces"]["id"],
            ),
            highlight=False,
        )
    if data["link"]:
        console.print(_("Link that registers in one tap: {link}", link=data["link"]), highlight=False, soft_wrap=True)
    if data["whatsapp_link"]:
        console.print(
            _("WhatsApp link (opens the chat with DAFTAR and the code typed): {link}", link=data["whatsapp_link"]),
            highlight=False,
            soft_wrap=True,
        )


def _with_links(app_: App, data: dict, code: str, username: str | None) -> dict:
    data["link"] = deep_link(username, code) if username else None
    number = whatsapp_number(app_.settings)
    data["whatsapp_link"] = daftar_link(number, code) if number else None
    return data


async def _for_existing(app_: App, session, reference: str, validity) -> invitations.IssuedInvitation:
    """A code bound to a person already registered: redeeming it adds the channel it is typed in to them (no seat
    changes hands, so the seat check does not apply)."""
    from bot.cli.chat import describe_person, find_people  # the same reading of "id, phone or name" as chat --as

    found = [p for p in await find_people(session, reference) if p.active]
    if not found:
        raise Refused(_("Nobody matches {reference}.", reference=reference))
    if len(found) > 1:
        listing = "; ".join(f"{p.id}: {describe_person(p)}" for p in found[:10])
        raise Refused(
            _("Several people match {reference}: {people}. Use the number.", reference=reference, people=listing)
        )
    person = found[0]
    rt_row = await session.get(RT, person.rt_id) if person.rt_id else None
    return await invitations.create_invitation(
        session, app_.pepper, role=Role(person.role), created_by=ACTOR, rt=rt_row, person=person, validity=validity
    )


async def _create_for_all(app_: App, role: Role, validity, out: Path) -> tuple[int, int]:
    """Invitations written, and RTs skipped because their seat is held (such a code could never be redeemed)."""
    import openpyxl

    if role not in (Role.KETUA_RT, Role.BENDAHARA):
        raise ProblemError.one("invite_needs_rt", role=role.value)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Undangan"
    username = await bot_username(app_.settings)
    number = whatsapp_number(app_.settings)
    sheet.append(
        [
            "kode_rt",
            "kecamatan",
            "kelurahan",
            "rt",
            "peran",
            "kode_undangan",
            "berlaku_sampai",
            "tautan_telegram",
            "tautan_whatsapp",
        ]
    )
    async with app_.db.unit_of_work() as session:
        all_rts = list(
            await session.scalars(
                select(RT)
                .where(real_rt())
                .options(selectinload(RT.kelurahan).selectinload(Kelurahan.kecamatan))
                .order_by(RT.kode)
            )
        )
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(_("Creating invitations"), total=len(all_rts))
            batch = await invitations.create_for_free_seats(
                session,
                app_.pepper,
                all_rts,
                role=role,
                created_by=ACTOR,
                validity=validity,
                progress=lambda: progress.advance(task),
            )
        by_kode = {rt.kode: rt for rt in all_rts}
        for issued in batch.issued:
            rt = by_kode[issued.rt_kode]
            sheet.append(
                [
                    rt.kode,
                    rt.kelurahan.kecamatan.nama,
                    rt.kelurahan.nama,
                    rt.nomor,
                    role.value,
                    invitations.display_code(issued.code),
                    tanggal(issued.invitation.expires_at),
                    deep_link(username, issued.code) if username else None,
                    daftar_link(number, issued.code) if number else None,
                ]
            )
        # Written before the commit: if the file cannot be written, no code exists that nobody has seen.
        out.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(out)
    return len(batch.issued), len(batch.skipped)


@app.command("list", help=_("Invitations (never the codes themselves: only their last two characters)."))
def list_(show_all: bool = typer.Option(False, "--all", help=_("Also used, revoked and expired ones."))) -> None:

    async def work(app_: App) -> list[tuple]:
        async with app_.db.unit_of_work() as session:
            rows = await session.execute(
                select(Invitation, RT.kode, Person.nama)
                .outerjoin(RT, Invitation.rt_id == RT.id)
                .outerjoin(Person, Invitation.used_by_person_id == Person.id)
                .order_by(Invitation.id)
            )
            return [(inv, rt_kode, used_by, invitations.invitation_state(inv)) for inv, rt_kode, used_by in rows]

    table = Table()
    for column in ("id", _("role"), "RT", _("ends with"), _("state"), _("expires")):
        table.add_column(column)
    for inv, rt_kode, _used_by, state in run_with_app(work):
        if show_all or state == "active":
            table.add_row(
                str(inv.id),
                role_name(inv.role),
                rt_kode or "-",
                f"…{inv.code_hint}",
                invitation_state_name(state),
                tanggal(inv.expires_at),
            )
    console.print(table)


@app.command("revoke", help=_("Cancel an unused invitation."))
def revoke(invitation_id: int) -> None:

    async def work(app_: App) -> None:
        async with app_.db.unit_of_work() as session:
            await invitations.revoke_invitation(session, invitation_id, actor=ACTOR)

    run_with_app(work)
    console.print(_("Invitation {id} revoked.", id=invitation_id))
