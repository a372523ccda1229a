"""/lapor, nothing typed is lost: a report left unfinished is kept as a draft, and one sent back starts from itself.

- Left for another command, or by /batal or Cancel, after something was filled in: kept as a draft of that stage
  for `drafts.KEPT` (services/drafts.py) and offered back ("Continue the draft" / "Start over") when /lapor is sent
  for that stage again.
- A stage the pendamping sent back starts from the report sent before: its date, answers and photos, straight to
  the summary with the pendamping's reason, where any one of them can be changed (lapor_edit.py).
"""

from handlers.context import Context
from handlers.flow import Data, Goto, Outcome, Stay
from handlers.flows.ketua_common import own_rt, picked
from handlers.flows.lapor_edit import FIX_QUEUE, after_change, part_names
from handlers.flows.lapor_media import counts
from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Reply
from services import drafts, reports
from services.models import Media, StageReport

DRAFT_WORDS = {
    "draft:continue": ("lanjutkan", "lanjutkan draf", "continue"),
    # Not "mulai …": typed, that word is the command /start (handlers/incoming_text.py).
    "draft:new": ("isi dari awal", "dari awal", "start over"),
}
# Steps a draft can be continued at; any other (a step since renamed) continues at the date.
RESUMABLE = ("date", "field", "media", "confirm", "swap", "swap_send")
STORED = "stored"  # a file entry taken from a report sent before: its bytes are in the media store


def filled(data: Data) -> str | None:
    """What has been filled in so far ("date, 2 answers, 3 photos filled in"), or None when nothing has."""
    if "stage" not in data:
        return None
    parts = []
    if data.get("happened_on"):
        parts.append(_("date"))
    if answers := len(data.get("answers") or {}):
        parts.append(_("{count} answer(s)", count=answers))
    photos, documents = counts(data)
    if photos:
        parts.append(_("{count} photo(s)", count=photos))
    if documents:
        parts.append(_("{count} document(s)", count=documents))
    if not parts:
        return None
    return _("{parts} filled in", parts=", ".join(parts))


def unfinished(ctx: Context, data: Data) -> str | None:
    what = filled(data)
    if what is None:
        return None
    return _(
        "The report of {stage} is not finished ({filled}).", stage=ctx.program.stage(data["stage"]).nama, filled=what
    )


async def leave(ctx: Context, data: Data, step: str) -> str | None:
    """Keep the report as a draft when something was filled in; the note that says so."""
    if filled(data) is None:
        return None
    rt = await own_rt(ctx)
    if rt is None:
        return None
    await drafts.save_draft(
        ctx.session, rt_id=rt.id, stage_key=data["stage"], person_id=ctx.person.id, data=data, step=step, now=ctx.now
    )
    return kept_note(ctx, data)


def kept_note(ctx: Context, data: Data) -> str:
    return _(
        "The report of {stage} was not sent. It is kept as a draft for {days} days: send /lapor to continue it.",
        stage=ctx.program.stage(data["stage"]).nama,
        days=drafts.KEPT.days,
    )


async def offer_or_begin(ctx: Context, data: Data, sent_back: StageReport | None) -> Outcome:
    """After the stage is chosen: offer its draft if there is one, else begin (from the report sent back)."""
    rt = await own_rt(ctx)
    draft = await drafts.find_draft(ctx.session, rt_id=rt.id, stage_key=data["stage"], now=ctx.now)
    if draft is not None:
        return Goto("draft")
    return await begin(ctx, data, sent_back)


async def begin(ctx: Context, data: Data, sent_back: StageReport | None) -> Outcome:
    if sent_back is None:
        return Goto("date")
    stage = ctx.program.stage(data["stage"])
    answers = dict(sent_back.answers or {})
    data.update(happened_on=sent_back.happened_on.isoformat(), answers=answers, files=_stored_files(sent_back))
    if sent_back.latitude is not None and sent_back.longitude is not None:
        data["lat"], data["lon"] = sent_back.latitude, sent_back.longitude
    if any(f.kode not in answers for f in stage.isian):
        return Goto("date")  # the stage's questions changed since: ask them all again
    fix = list(sent_back.review_fix or [])
    if not fix:
        return Goto("confirm")  # the reason says what to change: the summary shows it and changes any part
    intro = _("Your pendamping sent this stage back: {reason}", reason=data.get("reason", ""))
    intro += "\n" + _("Please fix: {parts}. The rest is kept from your earlier report.", parts=part_names(fix))
    data[FIX_QUEUE] = fix
    return after_change(ctx, data, (Reply(intro),))


def _stored_files(report: StageReport) -> list[dict]:
    return [
        {
            "ref": f"{STORED}:{m.id}",
            "kind": m.kind,
            "counts_as": m.kind,
            "mime": m.mime_type,
            "size": m.size,
            "name": m.original_name,
            STORED: m.id,
        }
        for m in report.media
    ]


async def stored_content(ctx: Context, file: dict) -> tuple[Media, bytes] | None:
    """The bytes of a file kept from a report sent before; None when its row or file is gone."""
    media = await ctx.session.get(Media, file[STORED])
    if media is None:
        return None
    try:
        return media, ctx.media.absolute(media.path).read_bytes()
    except (OSError, ValueError):
        return None


async def ask_draft(ctx: Context, data: Data) -> Reply:
    rt = await own_rt(ctx)
    draft = await drafts.find_draft(ctx.session, rt_id=rt.id, stage_key=data["stage"], now=ctx.now) if rt else None
    stage = ctx.program.stage(data["stage"]).nama
    if draft is None:
        # Expired (or sent from another chat) since it was offered: "Continue" then starts afresh.
        text = _("The draft of the report of {stage} is no longer kept. Press Start over.", stage=stage)
    else:
        text = _(
            "You started a report of {stage} on {date} ({filled}). Continue the draft or start over?",
            stage=stage,
            date=tanggal(draft.saved_at),
            filled=filled(draft.data) or "-",
        )
    choices = (Choice("draft:continue", _("Continue the draft")), Choice("draft:new", _("Start over")))
    return Reply(text, choices, Expect.CHOICE)


async def handle_draft(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    pressed = picked(incoming, DRAFT_WORDS)
    if pressed is None:
        return Stay(_("Please press Continue the draft or Start over."))
    rt = await own_rt(ctx)
    stage_key = data["stage"]
    draft = await drafts.find_draft(ctx.session, rt_id=rt.id, stage_key=stage_key, now=ctx.now)
    sent_back = await sent_back_report(ctx, data)
    if pressed == "draft:new" or draft is None:
        await drafts.discard_draft(ctx.session, rt_id=rt.id, stage_key=stage_key)
        return await begin(ctx, data, sent_back)
    kept = dict(draft.data)
    # The reason of a send-back may be newer than the draft: the current one is shown.
    kept.pop("reason", None)
    data.clear()
    data.update(kept, stage=stage_key)
    if sent_back is not None:
        data["reason"] = sent_back.review_reason or ""
    step = draft.step if draft.step in RESUMABLE else "date"
    if step == "field" and "happened_on" not in data:
        step = "date"
    return Goto(step)


async def sent_back_report(ctx: Context, data: Data) -> StageReport | None:
    report_id = data.get("sent_back_id")
    return await reports.get_report(ctx.session, report_id) if report_id else None
