"""How a taken seat is told: an RT has one Ketua RT and one Bendahara Pokja (services/seats.py)."""

from handlers.context import Context
from handlers.flows.ketua_common import rt_name
from handlers.i18n import _
from handlers.menu import role_name
from services.models import RT


async def taken_text(ctx: Context, role: str, rt: RT | None, rt_kode: str, holder_name: str) -> str:
    """Who holds the seat, by role and name, and whom to ask when the holder has changed."""
    where = await rt_name(ctx, rt) if rt is not None else rt_kode
    title = role_name(role)
    # Handing a seat over on purpose (`invite create --ganti`) is planned; until then the pendamping is the way.
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
