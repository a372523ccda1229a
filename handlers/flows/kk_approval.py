"""KK changes after funds arrived, decided by the RT's pendamping (or an admin) with the buttons of a notification.

`/kk_approval` lists what is still open; the buttons `kk_ok:<id>` / `kk_no:<id>` work whatever the person is doing.
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome, action_choice_id
from handlers.flows.ketua_common import ketua_of, rt_name, rt_name_with_code
from handlers.flows.kk import allocation_line
from handlers.formatting import number, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Reply
from services import kk_changes, numbers
from services.models import Person, Role
from services.problems import ProblemError


def _buttons(request_id: int) -> tuple[Choice, ...]:
    return (
        Choice(action_choice_id("kk_ok", request_id), _("Approve")),
        Choice(action_choice_id("kk_no", request_id), _("Reject")),
    )


async def start(ctx: Context, data: Data) -> Outcome:
    pending = await kk_changes.pending_for(ctx.session, ctx.person)
    if not pending:
        return Finish(
            (
                Reply(
                    _(
                        "There is no KK change waiting for your decision. When a Ketua RT changes the number of KK "
                        "after the funds were received, you will get a message with buttons."
                    )
                ),
            )
        )
    replies = [Reply(_("KK changes waiting for your decision: {count}", count=len(pending)))]
    for request, rt in pending:
        before = allocation_line(ctx, request.old) if request.old else _("not registered")
        text = _(
            "{rt}, asked on {date}.\nBefore: {before}\nNew: {after}",
            rt=await rt_name_with_code(ctx, rt),
            date=tanggal(request.requested_at),
            before=before,
            after=allocation_line(ctx, request.new),
        )
        replies.append(Reply(text, _buttons(request.id), Expect.CHOICE))
    return Finish(tuple(replies))


async def approve(ctx: Context, argument: str) -> list[Reply]:
    return await _decide(ctx, argument, approve=True)


async def reject(ctx: Context, argument: str) -> list[Reply]:
    return await _decide(ctx, argument, approve=False)


async def _decide(ctx: Context, argument: str, *, approve: bool) -> list[Reply]:
    request_id = numbers.record_id(argument)
    if request_id is None:
        return [Reply(_("That button is no longer valid."))]
    try:
        # A savepoint: a refusal leaves the rest of this message's work (the person's state) untouched.
        async with ctx.session.begin_nested():
            request, rt = await kk_changes.decide(
                ctx.session,
                ctx.program,
                request_id,
                approve=approve,
                person=ctx.person,
                actor=ctx.actor,
                now=ctx.now,
            )
    except ProblemError as error:
        return [Reply(_refusal(error))]
    name = await rt_name(ctx, rt)
    if approve:
        mine = _("Approved. {rt} now has {line}.", rt=name, line=allocation_line(ctx, request.new))
    else:
        mine = _("Rejected. {rt} stays at {count} KK.", rt=name, count=number(request.old) if request.old else "-")
    await _tell_ketua(ctx, rt, request, approve)
    return [Reply(mine)]


def _refusal(error: ProblemError) -> str:
    problem = error.problems[0]
    if problem.code == "kk_change_not_allowed":
        return _("This request is for an RT you do not accompany, so you cannot decide it.")
    if problem.code == "kk_change_decided":
        if problem.params.get("status") == kk_changes.APPROVED:
            return _("This request was already decided: approved.")
        return _("This request was already decided: rejected.")
    return _("That button is no longer valid.")


async def _tell_ketua(ctx: Context, rt, request, approve: bool) -> None:
    decider = ctx.person.nama or "-"
    recipients: dict[int, Person] = {p.id: p for p in await ketua_of(ctx, rt)}
    requester = await ctx.session.get(Person, request.requested_by_id)
    if requester is not None:
        recipients[requester.id] = requester
    new, old = request.new, request.old

    def render() -> Reply:
        if approve:
            text = _(
                "Your pendamping {name} approved the change. Your RT now has {line}.",
                name=decider,
                line=allocation_line(ctx, new),
            )
        else:
            text = _(
                "Your pendamping {name} did not approve the change to {new} KK. Your RT stays at {old} KK. "
                "Please contact your pendamping if you have questions.",
                name=decider,
                new=number(new),
                old=number(old) if old else "-",
            )
        return Reply(text)

    for person in recipients.values():
        await ctx.notify(person, render)


FLOW = Flow(
    name="kk_approval",
    roles=frozenset({Role.PENDAMPING.value, Role.ADMIN.value}),
    start=start,
    actions={"kk_ok": approve, "kk_no": reject},
)
