"""`/tinjau`: the review queue, one report at a time, oldest first.

```mermaid
graph LR
  start -->|queue empty| done
  start --> decide
  decide -->|Setujui / Lewati| decide
  decide -->|Kembalikan| reason
  reason -->|Perbaiki: foto / tanggal / isian| reason
  reason -->|reason typed| decide
  reason -->|Batal| decide
  decide -->|nothing left| done
```

Every button carries the report id: the step stays `decide` from one report to the next, so a button of an
earlier report must never act on the one shown now. The action `tinjau:<report id>` (the button on the
"new report" notification) opens one report directly.
"""

from collections.abc import Awaitable, Callable

from handlers import review_decision
from handlers.context import Context
from handlers.flow import Data, Enter, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.flows.pendamping_review import report_card
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.review_decision import Decided
from services import media_reuse, numbers, review
from services.models import Person, ReportStatus, Role, StageReport
from services.problems import ProblemError

NAME = "tinjau"
# Typed instead of pressed (a console, or WhatsApp's numbered text): the words of the buttons.
TYPED = {"setujui": "ok", "approve": "ok", "kembalikan": "back", "send back": "back", "lewati": "skip", "skip": "skip"}


async def start(ctx: Context, data: Data) -> Outcome:
    data["skipped"] = []
    return await _next(ctx, data, ())


async def _next(ctx: Context, data: Data, replies: tuple[Reply, ...]) -> Outcome:
    """Show the oldest report not skipped in this round, or say the queue is done."""
    skipped = set(data.get("skipped", []))
    queue = [r for r in await review.review_queue(ctx.session, ctx.person) if r.id not in skipped]
    if queue:
        data["report_id"] = queue[0].id
        return Goto("decide", replies)
    if skipped:
        text = _(
            "No more reports to review now. {count} skipped report(s) are still waiting: "
            "send /tinjau to see them again.",
            count=len(skipped),
        )
    else:
        text = _("No reports are waiting for your review. 👍")
    return Finish((*replies, Reply(text)))


async def ask_decide(ctx: Context, data: Data) -> Reply:
    try:
        report, rt = await review.report_for_review(ctx.session, ctx.person, data["report_id"])
    except ProblemError:
        return Reply(_("This report is no longer available. Send /tinjau to start again."), expect=Expect.TEXT)
    sender = await ctx.session.get(Person, report.submitted_by_id)
    waiting = len(await review.review_queue(ctx.session, ctx.person))
    earlier = await media_reuse.same_rt_uses(ctx.session, report)
    return report_card(ctx, report, rt, sender, waiting, earlier)


def _pressed(incoming: Incoming, report_id: int) -> tuple[str | None, int | None]:
    """(ok | back | skip | cancel, report id) from a button, or from the button's word typed out."""
    if incoming.kind == Kind.CHOICE:
        action, _sep, argument = (incoming.choice or "").partition(":")
        return action, numbers.record_id(argument)
    if incoming.kind == Kind.TEXT:
        return TYPED.get(incoming.text.strip().lower()), report_id
    return None, None


async def handle_decide(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    report_id = data["report_id"]
    action, pressed_id = _pressed(incoming, report_id)
    if action not in ("ok", "back", "skip"):
        return Stay(_("Please choose one of the buttons: Approve, Send back or Skip."))
    if pressed_id != report_id:
        return Stay(_("That button belongs to another report. Please use the buttons of the report below."))
    if action == "skip":
        data["skipped"] = [*data.get("skipped", []), report_id]
        return await _next(ctx, data, (Reply(_("Skipped. The report stays in the queue.")),))
    try:
        report, _rt = await review.report_for_review(ctx.session, ctx.person, report_id)
    except ProblemError:
        return await _next(ctx, data, (Reply(_("This report is no longer available.")),))
    if report.status != ReportStatus.MENUNGGU_TINJAUAN:
        return await _next(ctx, data, (Reply(await _already(ctx, report)),))
    if action == "back":
        data["fix"] = []
        return Goto("reason")
    return await _decided(ctx, data, lambda: review_decision.approve(ctx, report_id))


def _fix_labels() -> dict[str, str]:
    return {"tanggal": _("Fix: date"), "isian": _("Fix: answers"), "foto": _("Fix: photos")}


async def _fix_parts(ctx: Context, report_id: int) -> list[str]:
    """The parts this report has that the sender can be asked again: answers only for a stage with questions."""
    try:
        report, _rt = await review.report_for_review(ctx.session, ctx.person, report_id)
    except ProblemError:
        return []
    return review_decision.fix_parts(ctx.program, report.stage_key)


async def ask_reason(ctx: Context, data: Data) -> Reply:
    report_id = data["report_id"]
    text = _(
        "Why must the report be fixed? Type the reason in one message (at most {maximum} characters). "
        "The sender will read it as you write it.",
        maximum=review.MAX_REASON,
    )
    text += "\n" + _("Before typing, you may press what must be fixed: the sender is then asked only that again.")
    marked = data.get("fix", [])
    labels = _fix_labels()
    fixes = tuple(
        Choice(f"fix:{report_id}:{part}", ("✅ " if part in marked else "") + labels[part])
        for part in await _fix_parts(ctx, report_id)
    )
    return Reply(text, (*fixes, Choice(f"cancel:{report_id}", _("Back to the report"))), Expect.TEXT)


async def handle_reason(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    report_id = data["report_id"]
    if incoming.kind == Kind.CHOICE:
        if incoming.choice == f"cancel:{report_id}":
            return Goto("decide")
        part = (incoming.choice or "").removeprefix(f"fix:{report_id}:")
        if part in await _fix_parts(ctx, report_id):
            # Pressed again: unmarked.
            marked = data.get("fix", [])
            data["fix"] = [p for p in marked if p != part] if part in marked else [*marked, part]
            return Goto("reason")
        return Stay(_("Please type the reason as text."))
    if incoming.kind != Kind.TEXT:
        return Stay(_("Please type the reason as text."))
    reason = incoming.text.strip()
    if not reason:
        return Stay(_("The reason is empty. Please write what must be fixed."))
    if len(reason) > review.MAX_REASON:
        return Stay(
            _(
                "The reason is too long ({length} characters). Please shorten it to at most {maximum} characters.",
                length=len(reason),
                maximum=review.MAX_REASON,
            )
        )
    fix = data.get("fix", [])
    return await _decided(ctx, data, lambda: review_decision.send_back(ctx, report_id, reason, fix))


async def _decided(ctx: Context, data: Data, decision: Callable[[], Awaitable[Decided]]) -> Outcome:
    """Decide and tell the sender (handlers/review_decision.py, shared with the dashboard), then move on."""
    try:
        decided = await decision()
    except ProblemError as error:
        if error.problems[0].code == "report_already_reviewed":
            report, _rt = await review.report_for_review(ctx.session, ctx.person, data["report_id"])
            return await _next(ctx, data, (Reply(await _already(ctx, report)),))
        return await _next(ctx, data, (Reply(_("This report is no longer available.")),))
    return await _next(ctx, data, (Reply("\n".join(decided.summary())),))


async def _already(ctx: Context, report: StageReport) -> str:
    return await review_decision.already_text(ctx.session, report)


async def open_report(ctx: Context, argument: str) -> list[Reply] | Enter:
    """The notification button `tinjau:<report id>`: open that report for review (if it is still waiting)."""
    report_id = numbers.record_id(argument)
    if report_id is None:
        return [Reply(_("That button is no longer valid."))]
    try:
        report, _rt = await review.report_for_review(ctx.session, ctx.person, report_id)
    except ProblemError as error:
        if error.problems[0].code == "report_not_yours":
            return [Reply(_("This report belongs to an RT that is not assigned to you. Nothing was changed."))]
        return [Reply(_("This report no longer exists."))]
    if report.status != ReportStatus.MENUNGGU_TINJAUAN:
        return [Reply(await _already(ctx, report))]
    return Enter("decide", {"report_id": report.id, "skipped": []})


FLOW = Flow(
    name=NAME,
    roles=frozenset({Role.PENDAMPING, Role.ADMIN}),
    start=start,
    steps={"decide": Step(ask_decide, handle_decide), "reason": Step(ask_reason, handle_reason)},
    actions={"tinjau": open_report},
)
