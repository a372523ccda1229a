"""/kk — the Ketua RT registers the number of KK (households); it sets the RT's budget tier.

```mermaid
flowchart LR
  start -->|pending request| done
  start --> number -->|above batas_wajar| check
  check -->|Ya| confirm
  check -->|Ubah| number
  number --> confirm -->|Simpan, no funds yet| saved
  confirm -->|Simpan, funds received| request[KKChangeRequest + pendamping asked]
  confirm -->|Ubah| number
```
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows.ketua_common import (
    KETUA,
    no_rt,
    own_rt,
    pendamping_of,
    picked,
    rt_name,
    rt_name_with_code,
)
from handlers.formatting import number, rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.parsing import ParseError, parse_count
from handlers.yes_no import NO, YES
from services import kk_changes, rts
from services.problems import ProblemError

YA_UBAH = {"yes": (*YES, "1"), "change": ("ubah", *NO, "2")}
SIMPAN_UBAH = {"save": ("simpan", *YES, "kirim", "1"), "change": ("ubah", *NO, "2")}


def allocation_line(ctx: Context, jumlah_kk: int) -> str:
    # The amount is what matters to the RT; the tier's name is office vocabulary (BAHASA.md: "alokasi {amount}").
    tier = ctx.program.tier_for(jumlah_kk)
    return _("{count} KK, allocation {amount}", count=number(jumlah_kk), amount=rupiah(tier.alokasi))


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    if rt is None:
        return no_rt()
    pending = await kk_changes.pending_request(ctx.session, rt)
    if pending is not None:
        text = _(
            "You asked on {date} to change the number of KK to {count}. "
            "Your pendamping has not decided yet; you will get a message when they do.",
            date=tanggal(pending.requested_at),
            count=number(pending.new),
        )
        return Finish((Reply(text),))
    return Goto("number")


async def ask_number(ctx: Context, data: Data) -> Reply:
    rt = await own_rt(ctx)
    if rt.jumlah_kk is None:
        now = _("{rt} has no number of KK registered yet.", rt=await rt_name(ctx, rt))
    else:
        now = _("{rt} now has: {line}.", rt=await rt_name(ctx, rt), line=allocation_line(ctx, rt.jumlah_kk))
    question = _("How many KK (households) are in your RT? Type the number, for example 87.")
    return Reply(f"{now}\n{question}", expect=Expect.NUMBER)


async def handle_number(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind != Kind.TEXT or not incoming.text.strip():
        return Stay(_("Please type the number of KK as digits, for example 87."))
    try:
        value = parse_count(incoming.text)
    except ParseError as error:
        reasons = {
            "negative": _("The number of KK cannot be negative."),
            "fraction": _("The number of KK must be a whole number, without a comma."),
        }
        return Stay(reasons.get(error.code, _("That is not a number. Please type digits only, for example 87.")))
    if value <= 0:
        return Stay(_("The number of KK must be at least 1."))
    if value > ctx.program.kk_maksimum:
        return Stay(
            _(
                "{count} KK is too many for one RT (the maximum is {maksimum}). Please check the number.",
                count=number(value),
                maksimum=number(ctx.program.kk_maksimum),
            )
        )
    rt = await own_rt(ctx)
    if value == rt.jumlah_kk:
        return Finish(
            (Reply(_("Your RT already has {count} KK registered. Nothing was changed.", count=number(value))),)
        )
    data["kk"] = value
    return Goto("check" if value > ctx.program.kk_batas_wajar else "confirm")


async def ask_check(ctx: Context, data: Data) -> Reply:
    return Reply(
        _(
            "{count} KK is a lot for one RT. Is this number correct?",
            count=number(data["kk"]),
        ),
        (Choice("yes", _("Yes, correct")), Choice("change", _("Change"))),
        Expect.CHOICE,
    )


async def handle_check(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    choice = picked(incoming, YA_UBAH)
    if choice is None:
        return Stay(_("Please press one of the buttons: Yes or Change."))
    return Goto("confirm" if choice == "yes" else "number")


async def ask_confirm(ctx: Context, data: Data) -> Reply:
    rt = await own_rt(ctx)
    if rt.jumlah_kk is None:
        lines = [allocation_line(ctx, data["kk"])]
    else:
        lines = [
            _("Before: {line}", line=allocation_line(ctx, rt.jumlah_kk)),
            _("New: {line}", line=allocation_line(ctx, data["kk"])),
        ]
    if await kk_changes.funds_received(ctx.session, rt):
        lines.append(_("The funds have already been received, so your pendamping must approve this change."))
        save_label = _("Send for approval")
        lines.append(_("Send this change to your pendamping?"))
    else:
        save_label = _("Save")
        lines.append(_("Save this number?"))
    return Reply(
        "\n".join(lines),
        (Choice("save", save_label), Choice("change", _("Change"))),
        Expect.CHOICE,
    )


async def handle_confirm(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    choice = picked(incoming, SIMPAN_UBAH)
    if choice is None:
        return Stay(_("Please press Save to keep this number, or Change to type it again."))
    if choice == "change":
        return Goto("number")
    rt = await own_rt(ctx)
    value = data["kk"]
    if await kk_changes.funds_received(ctx.session, rt):
        return await _request_approval(ctx, rt, value)
    await rts.set_jumlah_kk(ctx.session, ctx.program, rt, value, actor=ctx.actor, person=ctx.person, now=ctx.now)
    text = _(
        "Saved. {rt} now has {line}.\nSend /jadwal to see your schedule.",
        rt=await rt_name(ctx, rt),
        line=allocation_line(ctx, value),
    )
    return Finish((Reply(text),))


async def _request_approval(ctx: Context, rt, value: int) -> Outcome:
    try:
        request = await kk_changes.request_change(
            ctx.session, ctx.program, rt, value, person=ctx.person, actor=ctx.actor, now=ctx.now
        )
    except ProblemError as error:
        # Things changed since the number was typed (another phone, a decision meanwhile); nothing was written.
        if error.problems[0].code == "kk_change_pending":
            return Finish((Reply(_("A change of the number of KK is already waiting for your pendamping.")),))
        if error.problems[0].code == "kk_change_same":
            text = _("Your RT already has {count} KK registered. Nothing was changed.", count=number(value))
            return Finish((Reply(text),))
        raise
    pendamping = await pendamping_of(ctx, rt)
    if pendamping is None:
        text = _(
            "Your request to change to {count} KK is saved. Your RT has no pendamping yet, "
            "so the DPMPPA admin will decide.",
            count=number(value),
        )
        return Finish((Reply(text),))
    where = await rt_name_with_code(ctx, rt)
    old = request.old
    ketua = ctx.person.nama or "-"

    def render() -> Reply:
        before = allocation_line(ctx, old) if old else _("not registered")
        return Reply(
            _(
                "{ketua}, Ketua of {rt}, asks to change the number of KK after the funds were received.\n"
                "Before: {before}\nNew: {after}\nDo you approve?",
                ketua=ketua,
                rt=where,
                before=before,
                after=allocation_line(ctx, value),
            ),
            (
                Choice(action_choice_id("kk_ok", request.id), _("Approve")),
                Choice(action_choice_id("kk_no", request.id), _("Reject")),
            ),
            Expect.CHOICE,
        )

    await ctx.notify(pendamping, render)
    text = _(
        "Sent to your pendamping {name} for approval. Until then your RT stays at {count} KK. "
        "You will get a message when they decide.",
        name=pendamping.nama or "-",
        count=number(old) if old else "-",
    )
    return Finish((Reply(text),))


FLOW = Flow(
    name="kk",
    roles=KETUA,
    start=start,
    steps={
        "number": Step(ask_number, handle_number),
        "check": Step(ask_check, handle_check),
        "confirm": Step(ask_confirm, handle_confirm),
    },
)
