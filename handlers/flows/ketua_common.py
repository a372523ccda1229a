"""Small pieces shared by the Ketua RT conversations: their RT, how to name it, reading a pressed or typed choice."""

from sqlalchemy import select

from handlers.context import Context
from handlers.flow import Finish
from handlers.formatting import rt_nama
from handlers.i18n import _
from handlers.messages import Incoming, Kind, Reply
from services.models import RT, Kelurahan, Person, Role

KETUA = frozenset({Role.KETUA_RT.value})


async def own_rt(ctx: Context) -> RT | None:
    """The RT of the person writing; a Ketua RT only ever acts on their own RT."""
    if ctx.person is None or ctx.person.rt_id is None:
        return None
    if "own_rt" not in ctx.kept:
        ctx.kept["own_rt"] = await ctx.session.get(RT, ctx.person.rt_id)
    return ctx.kept["own_rt"]


def no_rt() -> Finish:
    return Finish(
        (Reply(_("Your account is not linked to an RT yet. Please ask your pendamping to check your registration.")),)
    )


async def rt_name(ctx: Context, rt: RT, *, with_code: bool = False) -> str:
    """`RT 001 Kel. Simpang IV Sipin`: how people name their RT; the code is added for the office."""
    kelurahan = await ctx.session.get(Kelurahan, rt.kelurahan_kode)
    name = rt_nama(rt.nomor, kelurahan.nama if kelurahan else rt.kelurahan_kode)
    return f"{name} ({rt.kode})" if with_code else name


async def rt_name_with_code(ctx: Context, rt: RT) -> str:
    return await rt_name(ctx, rt, with_code=True)


async def pendamping_of(ctx: Context, rt: RT) -> Person | None:
    if rt.pendamping_id is None:
        return None
    person = await ctx.session.get(Person, rt.pendamping_id)
    return person if person is not None and person.active else None


async def ketua_of(ctx: Context, rt: RT) -> list[Person]:
    return list(
        await ctx.session.scalars(
            select(Person)
            .where(Person.rt_id == rt.id, Person.role == Role.KETUA_RT, Person.active.is_(True))
            .order_by(Person.id)
        )
    )


def picked(incoming: Incoming, words: dict[str, tuple[str, ...]]) -> str | None:
    """The choice id pressed, or typed as one of its words (`ya`, `ubah`); None when it is neither.

    Typing matters: on numbered-text channels and for people who do not see the buttons.
    """
    if incoming.kind == Kind.CHOICE:
        return incoming.choice if incoming.choice in words else None
    if incoming.kind == Kind.TEXT:
        typed = incoming.text.strip().lower()
        for choice_id, accepted in words.items():
            if typed in accepted:
                return choice_id
    return None


def not_text_reason(incoming: Incoming) -> str | None:
    """Why an answer that should be typed text is not (a button, a photo, a sticker), or None."""
    if incoming.kind == Kind.TEXT and incoming.text.strip():
        return None
    if incoming.kind == Kind.TEXT:
        return _("The message was empty. Please type your answer.")
    if incoming.kind == Kind.MEDIA:
        return _("Thank you, but a photo or file is not needed here. Please type your answer.")
    return _("Please type your answer as a message.")
