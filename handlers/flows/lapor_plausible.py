"""/lapor, numbers that look wrong: asked about, never refused ("Ya, benar" keeps it, a new number replaces it).

A slip of the finger (120 for 12) is common on a phone; a real rembuk warga with more KK than the RT has is not
impossible (KK from a neighbouring RT come along), so the person decides, once; the pendamping reviews it anyway.
"""

from handlers.context import Context
from handlers.flow import Data
from handlers.flows.ketua_common import own_rt, picked, rt_name
from handlers.formatting import number
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Reply
from handlers.yes_no import YES
from services.program import StageField

KK_HADIR, HADIR = "jumlah_kk_hadir", "jumlah_hadir"
STEP = "periksa"
CONFIRMED = {"yes": (*YES, "ya, benar")}


def confirmed(incoming: Incoming) -> bool:
    return picked(incoming, CONFIRMED) == "yes"


async def doubt(ctx: Context, data: Data, field: StageField, value: int) -> str | None:
    """Why this answer looks wrong (a question to the person), or None when it looks fine."""
    if field.kode != KK_HADIR:
        return None
    rt = await own_rt(ctx)
    registered = rt.jumlah_kk if rt is not None else None
    people = data.get("answers", {}).get(HADIR)
    above_rt = registered is not None and value > registered
    above_people = isinstance(people, int) and value > people
    if above_rt and above_people:  # both said at once: one "Ya, benar" answers for what the person saw
        return _(
            "You typed {count} KK present, but {rt} has {total} KK registered and only {people} people were "
            "present. Is {count} right?",
            count=number(value),
            rt=await rt_name(ctx, rt),
            total=number(registered),
            people=number(people),
        )
    if above_rt:
        return _(
            "You typed {count} KK present, but {rt} has {total} KK registered. Is {count} right?",
            count=number(value),
            rt=await rt_name(ctx, rt),
            total=number(registered),
        )
    if above_people:
        return _(
            "You typed {count} KK present, but only {people} people present. Each KK present is at least one "
            "person. Is {count} right?",
            count=number(value),
            people=number(people),
        )
    return None


async def ask(ctx: Context, data: Data) -> Reply:
    question = data["doubt"]["text"]
    hint = _("Press Yes, correct to keep it, or type the right number.")
    return Reply(f"{question}\n{hint}", (Choice("yes", _("Yes, correct")),), Expect.NUMBER)
