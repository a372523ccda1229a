"""/lapor — the Ketua RT reports a stage: which one, when, its questions, the evidence, then a summary to send.

Nothing is saved until "Send": the report, its media and the pendamping's notification are one unit of work.

```mermaid
flowchart LR
  start -->|nothing open| done[what is next, and when]
  start --> stage --> date --> field -->|next question| field
  date -->|no questions| media
  field --> media -->|photo, album, location| media
  media -->|Done sending| confirm -->|Send| saved[report + media + pendamping notified]
  confirm -->|Cancel| kept[draft kept]
  stage -->|a draft of it| draft -->|Continue| left[the step it was left at]
  stage -->|sent back| confirm
  confirm -->|Change …| date & field & media & swap --> confirm
```

Left unfinished (Cancel, /batal, another command) it is kept as a draft (lapor_draft.py); the summary can change
any one answer or file (lapor_edit.py).
"""

from datetime import date

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows import date_example, lapor_plausible, past_date
from handlers.flows.evidence_fetch import TOO_LARGE, UNAVAILABLE, fetch_checked, file_label, problem_text
from handlers.flows.jadwal import SYMBOLS
from handlers.flows.ketua_common import KETUA, no_rt, own_rt, pendamping_of, picked, rt_name_with_code
from handlers.flows.lapor_draft import STORED, ask_draft, handle_draft, kept_note, leave, offer_or_begin, stored_content
from handlers.flows.lapor_draft import unfinished as lapor_unfinished
from handlers.flows.lapor_edit import (
    EDITING,
    after_change,
    ask_swap,
    ask_swap_send,
    edit_choices,
    edit_pressed,
    edited,
    handle_swap,
    handle_swap_send,
)
from handlers.flows.lapor_fields import ask_field, handle_doubt, handle_field, shown
from handlers.flows.lapor_media import ask_media, counts, evidence_text, handle_media
from handlers.flows.lapor_next import ROLE, blocked_reason, what_next
from handlers.formatting import bulan, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, MediaItem, Reply
from handlers.yes_no import NO, YES
from services import drafts, numbers, reports, schedule
from services.media import Evidence
from services.models import StageReport
from services.problems import ProblemError
from services.schedule import StageStatus

CONFIRM_WORDS = {"send": ("kirim", *YES, "send"), "cancel": ("batal", *NO, "cancel")}


async def _states(ctx: Context) -> list[schedule.StageState]:
    return await schedule.rt_stage_states(ctx.session, ctx.program, await own_rt(ctx), ctx.today)


async def start(ctx: Context, data: Data) -> Outcome:
    if await own_rt(ctx) is None:
        return no_rt()
    states = await _states(ctx)
    if not schedule.reportable(states, ROLE):
        return Finish((Reply(_("There is no stage to report now. {next}", next=what_next(states))),))
    return Goto("stage")


async def ask_stage(ctx: Context, data: Data) -> Reply:
    open_now = schedule.reportable(await _states(ctx), ROLE)
    choices = tuple(Choice(f"s:{s.stage.kode}", f"{SYMBOLS[s.status]} {s.stage.nama}") for s in open_now)
    return Reply(_("Which stage do you want to report? Press one."), choices, Expect.CHOICE)


def _typed_stage(incoming: Incoming, options: list[schedule.StageState]) -> str | None:
    if incoming.kind == Kind.CHOICE and (incoming.choice or "").startswith("s:"):
        return incoming.choice[2:]
    if incoming.kind == Kind.TEXT:
        typed = incoming.text.strip().lower()
        if (picked_at := numbers.position(typed, len(options))) is not None:
            return options[picked_at].stage.kode
        for state in options:
            if typed == state.stage.nama.lower():
                return state.stage.kode
    return None


async def handle_stage(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    states = await _states(ctx)
    open_now = schedule.reportable(states, ROLE)
    kode = _typed_stage(incoming, open_now)
    state = next((s for s in states if s.stage.kode == kode), None)
    if state is None:
        return Stay(_("Please press one of the stage buttons."))
    if state not in open_now:
        return Stay(_why_not(state, states))
    data.update(stage=kode, answers={}, files=[], field=0)
    sent_back = None
    if state.status == StageStatus.DIKEMBALIKAN and state.report_id:
        sent_back = await reports.get_report(ctx.session, state.report_id)
        data["reason"] = (sent_back.review_reason or "") if sent_back else ""
        if sent_back is not None:
            data["sent_back_id"] = sent_back.id
    return await offer_or_begin(ctx, data, sent_back)


def _why_not(state: schedule.StageState, states: list[schedule.StageState]) -> str:
    name = state.stage.nama
    if state.stage.pelapor != ROLE:
        return _("{stage} is reported by the Bendahara Pokja.", stage=name)
    if state.status in (StageStatus.SELESAI, StageStatus.MENUNGGU_TINJAUAN):
        return _("{stage} has already been reported.", stage=name)
    if state.status == StageStatus.AKAN_DATANG:
        return _("{stage} is not due yet: it starts in {month}.", stage=name, month=bulan(state.months[0]))
    blocked = blocked_reason([s for s in states if s.stage.kode in (*state.stage.setelah, state.stage.kode)])
    return blocked or _("{stage} cannot be reported now.", stage=name)


async def ask_date(ctx: Context, data: Data) -> Reply:
    stage = ctx.program.stage(data["stage"])
    text = _(
        "When did {stage} take place? Press a button, or type the date, for example {date}.",
        stage=stage.nama,
        date=date_example.typed(ctx),
    )
    if data.get("reason") and not data.get(EDITING):
        text = _("Your pendamping sent this stage back: {reason}", reason=data["reason"]) + "\n" + text
    return Reply(text, past_date.choices(), Expect.TEXT)


async def handle_date(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    day, reason = past_date.read(ctx, incoming)
    if reason:
        return Stay(reason)
    data["happened_on"] = day.isoformat()
    if edited(data):
        return after_change(ctx, data)
    data["field"] = 0
    return Goto("field" if ctx.program.stage(data["stage"]).isian else "media")


async def ask_confirm(ctx: Context, data: Data) -> Reply:
    stage = ctx.program.stage(data["stage"])
    photos, documents = counts(data)
    lines = [
        _("Please check your report:"),
        *([_("Your pendamping sent this stage back: {reason}", reason=data["reason"])] if data.get("reason") else []),
        _("Stage: {stage}", stage=stage.nama),
        _("Date: {date}", date=tanggal(date.fromisoformat(data["happened_on"]))),
    ]
    answers = data.get("answers", {})
    lines += [f"{f.label}: {shown(f, answers[f.kode])}" for f in stage.isian if f.kode in answers]
    if photos or documents:
        lines.append(_("Evidence: {evidence}", evidence=evidence_text(photos, documents)))
    if "lat" in data:  # optional: a missing location is not worth a line
        lines.append(_("Location: sent"))
    lines.append(_("Send this report to your pendamping? Or press what you want to change."))
    choices = (Choice("send", _("Send")), *edit_choices(ctx, data), Choice("cancel", _("Cancel")))
    return Reply("\n".join(lines), choices, Expect.CHOICE)


async def handle_confirm(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    change = edit_pressed(ctx, data, incoming)
    if change is not None:
        return change
    pressed = picked(incoming, CONFIRM_WORDS)
    if pressed is None:
        return Stay(_("Please press Send to send the report, or Cancel."))
    if pressed == "cancel":
        # Kept as a draft: a Cancel pressed by mistake, or for a photo to take first, costs nothing.
        await leave(ctx, data, "confirm")
        return Finish((Reply(kept_note(ctx, data)),))
    return await _submit(ctx, data)


async def _submit(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    evidence, refused = [], []
    for number, file in enumerate(data["files"], start=1):
        item = MediaItem(file["kind"], file["ref"], file["mime"], file["size"], file["name"])
        fetched = await _kept_or_fetched(ctx, item, file)
        if isinstance(fetched, str):
            refused.append((file["ref"], _refusal_text(fetched, file_label(item, number))))
        else:
            evidence.append(fetched)
    if refused:
        # Every file that cannot be kept is dropped and named at once; the others stay for the next try.
        dropped = {ref for ref, _text in refused}
        data["files"] = [f for f in data["files"] if f["ref"] not in dropped]
        return Goto("media", (Reply("\n".join(text for _ref, text in refused)),))
    try:
        async with ctx.session.begin_nested():
            report = await reports.submit_report(
                ctx.session,
                ctx.program,
                ctx.media,
                rt,
                data["stage"],
                happened_on=date.fromisoformat(data["happened_on"]),
                answers=data.get("answers", {}),
                evidence=evidence,
                person=ctx.person,
                actor=ctx.actor,
                today=ctx.today,
                latitude=data.get("lat"),
                longitude=data.get("lon"),
                now=ctx.now,
            )
    except ProblemError as error:
        if error.problems[0].code == "report_not_open":
            text = _(
                "This stage can no longer be reported (it may have been sent already). {next}",
                next=what_next(await _states(ctx)),
            )
            return Finish((Reply(text),))
        return Goto("media", (Reply(_("Something is missing in this report. Please check the photos and files.")),))
    await drafts.discard_draft(ctx.session, rt_id=rt.id, stage_key=data["stage"])
    await _notify_pendamping(ctx, rt, report, data)
    stage = ctx.program.stage(data["stage"])
    text = _(
        "Sent! Your report of {stage} is waiting for review by your pendamping. {next}",
        stage=stage.nama,
        next=what_next(await _states(ctx), say_waiting=False),
    )
    return Finish((Reply(text.strip()),))


async def _kept_or_fetched(ctx: Context, item: MediaItem, file: dict) -> Evidence | str:
    """A file of the report sent back comes from the media store; a file just sent, from the channel."""
    if STORED not in file:
        return await fetch_checked(ctx, item, file["counts_as"], reports.MAX_FILE_BYTES)
    kept = await stored_content(ctx, file)
    if kept is None:
        return UNAVAILABLE
    media, content = kept
    return Evidence(file["counts_as"], media.mime_type, content, media.channel_file_id, media.original_name)


def _refusal_text(code: str, name: str) -> str:
    if code == TOO_LARGE:
        limit = reports.MAX_FILE_BYTES // (1024 * 1024)
        return _("{name} is larger than {limit} MB. Please send a smaller file.", name=name, limit=limit)
    return problem_text(code, name)


async def _notify_pendamping(ctx: Context, rt, report: StageReport, data: Data) -> None:
    pendamping = await pendamping_of(ctx, rt)
    if pendamping is None:
        return
    where = await rt_name_with_code(ctx, rt)
    stage_name = ctx.program.stage(report.stage_key).nama
    photos, documents = counts(data)
    happened_on = report.happened_on

    def render() -> Reply:
        held_on = tanggal(happened_on)
        text = _("New report from {rt}: {stage}, held on {date}.", rt=where, stage=stage_name, date=held_on)
        if photos or documents:
            text += "\n" + _("Evidence: {evidence}", evidence=evidence_text(photos, documents))
        return Reply(text, (Choice(action_choice_id("tinjau", report.id), _("Review")),), Expect.CHOICE)

    await ctx.notify(pendamping, render)


FLOW = Flow(
    name="lapor",
    roles=KETUA,
    start=start,
    steps={
        "stage": Step(ask_stage, handle_stage),
        "draft": Step(ask_draft, handle_draft),
        "date": Step(ask_date, handle_date),
        "field": Step(ask_field, handle_field),
        lapor_plausible.STEP: Step(lapor_plausible.ask, handle_doubt),
        "media": Step(ask_media, handle_media),
        "confirm": Step(ask_confirm, handle_confirm),
        "swap": Step(ask_swap, handle_swap),
        "swap_send": Step(ask_swap_send, handle_swap_send),
    },
    unfinished=lapor_unfinished,
    leave=leave,
)
