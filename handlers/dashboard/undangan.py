"""Invitations to print: the kelurahan a person may print for, and one page per RT with its code, its one-tap
links as QR codes and how an older Ketua RT registers with them (BAHASA.md: plain words, Bapak/Ibu)."""

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.dashboard.qr import qr_svg
from handlers.formatting import rt_nama, tanggal
from handlers.i18n import _
from services import seats
from services.assignments import rts_for
from services.invitations import SeatBatch, display_code
from services.models import RT, Role
from services.web_sessions import SignedIn


@dataclass(frozen=True)
class KelurahanChoice:
    kode: str
    nama: str
    rts: int
    without_ketua: int  # RTs a code would be made for


async def undangan_page(session: AsyncSession, viewer: SignedIn, problem: str | None = None) -> str:
    """The kelurahan holding RTs this person may see, each with how many codes printing it would make."""
    rts = await rts_for(session, viewer.person)
    held = set(await session.scalars(seats.held_rt_ids(Role.KETUA_RT.value)))
    by_kelurahan: dict[str, list[RT]] = {}
    for rt in rts:
        by_kelurahan.setdefault(rt.kelurahan_kode, []).append(rt)
    choices = [
        KelurahanChoice(kode, group[0].kelurahan.nama, len(group), sum(1 for rt in group if rt.id not in held))
        for kode, group in sorted(by_kelurahan.items(), key=lambda item: item[1][0].kelurahan.nama)
    ]
    with speaking(viewer):
        title = _("Invitations")
    return page("undangan.html", viewer, title=title, active="undangan", choices=choices, problem=problem)


@dataclass(frozen=True)
class Link:
    channel: str  # Telegram | WhatsApp
    url: str
    qr: Markup


@dataclass(frozen=True)
class Printed:
    rt: str  # "RT 003 Kel. Talang Banjar"
    code: str  # "ABCD-EFGH"
    until: str
    links: list[Link]


CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp"}


def cetak_page(
    viewer: SignedIn, kelurahan: str, rts: list[RT], batch: SeatBatch, links_for: Callable[[str], dict[str, str]]
) -> str:
    """One printable page per new code. `links_for`: the one-tap links of a code by channel (bot.bootstrap's
    invite_links, so the same links as the chat and the CLI give)."""
    by_kode = {rt.kode: rt for rt in rts}
    with speaking(viewer):
        printed = []
        for issued in batch.issued:
            rt = by_kode[issued.rt_kode]
            name = rt_nama(rt.nomor, rt.kelurahan.nama)
            links = [
                Link(CHANNEL_NAMES.get(channel, channel), url, qr_svg(url, title=CHANNEL_NAMES.get(channel, channel)))
                for channel, url in links_for(issued.code).items()
            ]
            printed.append(Printed(name, display_code(issued.code), tanggal(issued.invitation.expires_at), links))
        skipped = [rt_nama(rt.nomor, rt.kelurahan.nama) for rt in batch.skipped]
        title = _("Invitations for Kel. {kelurahan}", kelurahan=kelurahan)
    return page("undangan_cetak.html", viewer, title=title, active="undangan", printed=printed, skipped=skipped)
