"""`/contoh`: how other RTs reported the stage this RT is at now — up to three example photos, each with a short
description (the RT and its answers), from approved reports a pendamping marked as examples (services/examples.py).

The stage is the one /lapor would offer first (open, its prerequisites reported), else the next one coming, so the
Ketua RT sees an example before the activity and can take the same kind of photo.
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.flows.ketua_common import KETUA, no_rt, own_rt
from handlers.flows.pendamping_review import answer_lines
from handlers.formatting import rt_nama, tanggal
from handlers.i18n import _
from handlers.messages import Reply
from services import examples, schedule
from services.examples import Example
from services.models import Role
from services.schedule import StageState, StageStatus

NAME = "contoh"
# The answers of an example fit in about two lines of a phone screen; the photo says the rest.
MAX_ANSWERS = 160


def current_stage(states: list[StageState]) -> StageState | None:
    """The first stage the Ketua RT can report now; else the first of theirs still to do (blocked or upcoming)."""
    open_now = schedule.reportable(states, Role.KETUA_RT)
    if open_now:
        return open_now[0]
    to_do = (*schedule.OPEN, StageStatus.AKAN_DATANG)
    return next((s for s in states if s.stage.pelapor == Role.KETUA_RT and s.status in to_do), None)


def description(ctx: Context, example: Example) -> str:
    """`RT 003 Kel. Talang Banjar, 12 Februari 2026` and its answers on one line."""
    report = example.report
    lines = [
        _(
            "Example from {rt}, {date}",
            rt=rt_nama(example.rt.nomor, example.rt.kelurahan.nama),
            date=tanggal(report.happened_on),
        )
    ]
    answers = " · ".join(answer_lines(ctx.program, report))
    if answers:
        lines.append(answers if len(answers) <= MAX_ANSWERS else answers[: MAX_ANSWERS - 1].rstrip() + "…")
    return "\n".join(lines)


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    if rt is None:
        return no_rt()
    states = await schedule.rt_stage_states(ctx.session, ctx.program, rt, ctx.today)
    state = current_stage(states)
    if state is None:
        return Finish((Reply(_("Your RT has no stage left to report, so there is no example to show. 👍")),))
    stage = state.stage.nama
    found = await examples.examples_for_stage(ctx.session, state.stage.kode)
    if not found:
        text = _(
            "There is no example for the stage {stage} yet. The pendamping choose examples from approved reports; "
            "please try again later. Send /jadwal to see your RT's schedule.",
            stage=stage,
        )
        return Finish((Reply(text),))
    replies = [Reply(_("How other RTs reported the stage {stage} (checked by their pendamping):", stage=stage))]
    for example in found:
        # One photo each: the description travels right after its own photo (channels send attachments first).
        replies.append(Reply(description(ctx, example), attachments=((example.photos[0].path, "photo"),)))
    if state in schedule.reportable(states, Role.KETUA_RT):
        replies.append(Reply(_("When your activity is done, send /lapor to report it.")))
    else:
        replies.append(Reply(_("Send /jadwal to see when this stage is due.")))
    return Finish(tuple(replies))


FLOW = Flow(name=NAME, roles=KETUA, start=start)
