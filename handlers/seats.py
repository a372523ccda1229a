"""How a taken seat is told: an RT has one Ketua RT and one Bendahara Pokja (services/seats.py)."""

from handlers.context import Context
from handlers.flows.ketua_common import pendamping_of, rt_name
from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.menu import role_name
from handlers.messages import Reply
from handlers.sapaan import sapaan
from services.models import RT, Person


async def taken_text(ctx: Context, role: str, rt: RT | None, rt_kode: str, holder_name: str) -> str:
    """Who holds the seat, by role and name, and whom to ask when the holder has changed."""
    where = await rt_name(ctx, rt) if rt is not None else rt_kode
    title = role_name(role)
    # Handing a seat over is the pendamping's (and DPMPPA's) to start: `invite create --ganti`.
    if holder_name:
        return _(
            "{role} for {rt} is already registered: {name}. An RT has only one {role} in this bot.\n"
            "If the {role} has changed, please contact the pendamping.",
            role=title,
            rt=where,
            name=holder_name,
        )
    return _(
        "{role} for {rt} is already registered. An RT has only one {role} in this bot.\n"
        "If the {role} has changed, please contact the pendamping.",
        role=title,
        rt=where,
    )


async def handed_over(ctx: Context, replaced: Person, newcomer: Person) -> None:
    """A `--ganti` code was redeemed: the person who left is told (they may not know yet), and the pendamping."""
    rt = await ctx.session.get(RT, newcomer.rt_id)
    where = await rt_name(ctx, rt)
    pendamping = await pendamping_of(ctx, rt)

    # The newcomer may not have given a name yet (it is asked right after): then the notices say "a new one".
    def to_replaced() -> Reply:
        if newcomer.nama:
            text = _(
                "{greeting}, from {date} the {role} of {rt} in this bot is {newcomer}. Your account is no longer "
                "active in the bot. Thank you for your work.",
                greeting=sapaan(replaced),
                date=tanggal(ctx.now),
                role=role_name(newcomer.role),
                rt=where,
                newcomer=sapaan(newcomer),
            )
        else:
            text = _(
                "{greeting}, from {date} there is a new {role} of {rt} in this bot. Your account is no longer "
                "active in the bot. Thank you for your work.",
                greeting=sapaan(replaced),
                date=tanggal(ctx.now),
                role=role_name(newcomer.role),
                rt=where,
            )
        if pendamping is not None:
            text += "\n" + _("If this is a mistake, please contact the pendamping {name}.", name=pendamping.nama or "-")
        return Reply(text)

    def to_pendamping() -> Reply:
        if newcomer.nama:
            text = _(
                "{rt}: {newcomer} registered as the new {role} on {date}, replacing {replaced}.",
                rt=where,
                newcomer=sapaan(newcomer),
                role=role_name(newcomer.role),
                date=tanggal(ctx.now),
                replaced=sapaan(replaced),
            )
        else:
            text = _(
                "{rt}: a new {role} registered on {date}, replacing {replaced}.",
                rt=where,
                role=role_name(newcomer.role),
                date=tanggal(ctx.now),
                replaced=sapaan(replaced),
            )
        return Reply(text)

    await ctx.notify(replaced, to_replaced, purpose="pemberitahuan")
    if pendamping is not None:
        await ctx.notify(pendamping, to_pendamping, purpose="pemberitahuan")
