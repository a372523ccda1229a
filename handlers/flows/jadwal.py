"""/jadwal — the RT's Kelompok schedule in one short message: each stage, its month(s) and a status symbol."""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.flows.ketua_common import KETUA, no_rt, own_rt, rt_name
from handlers.flows.lapor_next import what_next
from handlers.formatting import bulan_rentang
from handlers.i18n import _
from handlers.messages import Reply
from services import schedule
from services.schedule import StageState, StageStatus

SYMBOLS = {
    StageStatus.SELESAI: "✅",
    StageStatus.MENUNGGU_TINJAUAN: "⏳",
    StageStatus.JATUH_TEMPO: "🔔",
    StageStatus.TERLAMBAT: "⚠️",
    StageStatus.AKAN_DATANG: "🗓️",
    StageStatus.DIKEMBALIKAN: "↩️",
}


def legend() -> str:
    return _("✅ done · ⏳ waiting for review · 🔔 due this month · ⚠️ late · 🗓️ upcoming · ↩️ sent back, report again")


def months_text(state: StageState) -> str:
    first, last = state.months[0], state.months[-1]
    return bulan_rentang(first, last)


def stage_line(state: StageState) -> str:
    return f"{SYMBOLS[state.status]} {state.stage.nama} — {months_text(state)}"


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    if rt is None:
        return no_rt()
    states = await schedule.rt_stage_states(ctx.session, ctx.program, rt, ctx.today)
    header = _("Schedule of {rt}, Kelompok {kelompok}:", rt=await rt_name(ctx, rt), kelompok=rt.kelompok)
    lines = [header, *(stage_line(s) for s in states), "", legend(), what_next(states)]
    return Finish((Reply("\n".join(lines)),))


FLOW = Flow(name="jadwal", roles=KETUA, start=start)
