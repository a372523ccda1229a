"""`/dana`: the Pokja treasurer confirms that the RT's funds arrived (amount, date, proof of transfer).

```mermaid
stateDiagram-v2
    [*] --> jumlah
    jumlah --> tanggal: amount (mismatch with the allocation is said, not refused)
    tanggal --> bukti: date
    bukti --> ringkasan: one photo / PDF (reference only)
    ringkasan --> [*]: save → FundReceipt + StageReport pencairan_dana + Media; pendamping (and admins) notified
    ringkasan --> [*]: cancel → nothing saved
    ringkasan --> sama: the same proof content already kept for this RT → save anyway, or cancel
    jumlah --> lalu: "Ubah atau hapus yang lalu" (see ubah_lalu.py); also at the start when funds are confirmed
```
"""

from datetime import date

from sqlalchemy import select

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows import bendahara_input as ask
from handlers.flows import dana_diterima, date_example, past_date, same_proof, ubah_lalu
from handlers.formatting import bulan, rt_nama_dari_kode, rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Reply
from services import funds, schedule
from services.fund_corrections import RECEIPT
from services.models import RT, Person, Role

TINJAU_ACTION = "tinjau"


def allocation_of(ctx: Context, rt: RT) -> int | None:
    return ctx.program.allocation(rt.jumlah_kk)


def mismatch_text(amount: int, allocation: int | None) -> str | None:
    """What the treasurer is told when the amount is not the RT's allocation; None when it matches."""
    if allocation is None:
        return _(
            "Your RT's number of KK is not registered yet, so its allocation is unknown. "
            "You can still save this; your pendamping will check it."
        )
    if amount == allocation:
        return None
    return _(
        "This amount differs from your RT's allocation of {allocation} (difference {difference}). "
        "Check it again; if it is what arrived in the account, you can still save it.",
        allocation=rupiah(allocation),
        difference=rupiah(abs(amount - allocation)),
    )


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await ask.own_rt(ctx)
    if rt is None:
        return Finish((Reply(ask.not_linked_reason()),))
    closed = await _not_open_reason(ctx, rt)
    if closed and await ubah_lalu.has_recent(ctx, RECEIPT, rt):
        # Confirmed already, but recently: the treasurer may have come to correct it.
        return ubah_lalu.enter(data, RECEIPT, (Reply(closed),))
    if closed:
        return Finish((Reply(closed),))
    return Goto("jumlah")


async def _not_open_reason(ctx: Context, rt: RT) -> str | None:
    """Funds are reported in their stage's months, after the proposal, once (again only if sent back)."""
    states = await schedule.rt_stage_states(ctx.session, ctx.program, rt, ctx.today)
    if any(s.stage.kode == funds.STAGE_PENCAIRAN for s in schedule.reportable(states, ctx.person.role)):
        return None
    state = next(s for s in states if s.stage.kode == funds.STAGE_PENCAIRAN)
    if state.status == schedule.StageStatus.SELESAI:
        return _("The funds of your RT are already confirmed and approved by the pendamping. Send /saldo to see them.")
    if state.status == schedule.StageStatus.MENUNGGU_TINJAUAN:
        return _("Your funds confirmation is waiting for the pendamping's review. You will get the result here.")
    if state.status == schedule.StageStatus.AKAN_DATANG:
        return _(
            "Funds are confirmed from {month}. Until then, nothing to do here; send /saldo to see the balance.",
            month=bulan(state.months[0]),
        )
    return _(
        "Funds can be confirmed once the proposal has been reported. Ask your Ketua RT to send /lapor for the "
        "proposal first."
    )


async def ask_amount(ctx: Context, data: Data) -> Reply:
    rt = await ask.own_rt(ctx)
    earlier = rt is not None and await ubah_lalu.has_recent(ctx, RECEIPT, rt)
    return Reply(
        _("How much money arrived in the Pokja's bank account? Type the amount, for example 70.000.000 or 70 juta."),
        (ubah_lalu.offer_choice(),) if earlier else (),
        expect=Expect.NUMBER,
    )


async def handle_amount(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if ubah_lalu.offered(incoming):
        return ubah_lalu.enter(data, RECEIPT)
    amount, reason = ask.read_amount(incoming)
    if reason:
        return Stay(reason)
    data["jumlah"] = amount
    rt = await ask.own_rt(ctx)
    warning = mismatch_text(amount, allocation_of(ctx, rt)) if rt else None
    return Goto("tanggal", (Reply(warning),) if warning else ())


async def ask_date(ctx: Context, data: Data) -> Reply:
    return Reply(
        _(
            "On which date did the money arrive? Choose a button or type the date, for example {date}.",
            date=date_example.written(ctx),
        ),
        past_date.choices(),
        Expect.TEXT,
    )


async def handle_date(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    value, reason = past_date.read(ctx, incoming)
    if reason:
        return Stay(reason)
    data["tanggal"] = value.isoformat()
    return Goto("bukti")


async def ask_proof(ctx: Context, data: Data) -> Reply:
    return Reply(
        _("Send one photo of the proof of transfer (or the bank statement as a PDF)."),
        expect=Expect.MEDIA,
    )


async def handle_proof(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    ref, reason = ask.read_evidence(incoming)
    if reason:
        return Stay(reason)
    data["bukti"] = ref
    return Goto("ringkasan")


async def ask_summary(ctx: Context, data: Data) -> Reply:
    rt = await ask.own_rt(ctx)
    amount = data["jumlah"]
    lines = [
        _("Please check before saving:"),
        _("Funds received: {amount}", amount=rupiah(amount)),
        _("Date: {date}", date=tanggal(date.fromisoformat(data["tanggal"]))),
        _("Proof of transfer: 1 file received"),
    ]
    if rt is not None:
        allocation = allocation_of(ctx, rt)
        if allocation is not None:
            lines.append(_("Your RT's allocation: {allocation}", allocation=rupiah(allocation)))
        warning = mismatch_text(amount, allocation)
        if warning:
            lines.append(warning)
        before = await funds.total_received(ctx.session, rt.id)
        if before:
            lines.append(_("Already recorded as received before: {amount}", amount=rupiah(before)))
    lines.append(_("Save this?"))
    return Reply("\n".join(lines), ask.confirm_choices(), Expect.CHOICE)


async def handle_summary(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    answer, reason = ask.read_confirm(incoming)
    if reason:
        return Stay(reason)
    if answer == ask.CANCEL:
        return Finish((Reply(ask.not_saved_reply_text()),))
    return await _save(ctx, data)


async def _save(ctx: Context, data: Data) -> Outcome:
    rt = await ask.own_rt(ctx)
    if rt is None:
        return Finish((Reply(ask.not_linked_reason()),))
    closed = await _not_open_reason(ctx, rt)
    if closed:  # reported from another phone meanwhile
        return Finish((Reply(closed),))
    too_large = _("That file is larger than 20 MB. Please send a smaller photo or PDF.")
    proof, reason = await ask.fetch_evidence(ctx, data["bukti"], too_large)
    if reason:
        data.pop("bukti", None)
        return Goto("bukti", (Reply(reason),))
    detour = await same_proof.detour(ctx, data, rt, proof)
    if detour:
        return detour
    amount, received_on = data["jumlah"], date.fromisoformat(data["tanggal"])
    allocation = allocation_of(ctx, rt)
    _receipt, report = await funds.record_fund_receipt(
        ctx.session,
        ctx.media,
        rt=rt,
        person=ctx.person,
        amount=amount,
        received_on=received_on,
        expected_amount=allocation,
        proof=proof,
        actor=ctx.actor,
        now=ctx.now,
    )
    await _notify(ctx, rt, amount, received_on, allocation, report.id)
    await dana_diterima.recorded(ctx, rt, amount, received_on)
    return Finish(
        (
            Reply(
                _(
                    "Saved: {amount} received on {date}. Your pendamping will review it. "
                    "Record each purchase with /belanja and see the balance with /saldo.",
                    amount=rupiah(amount),
                    date=tanggal(received_on),
                )
            ),
        )
    )


async def _notify(ctx: Context, rt: RT, amount: int, on: date, allocation: int | None, report_id: int) -> None:
    """The pendamping always hears of it (with a review button); admins too when the amount looks wrong."""
    mismatch = allocation is None or amount != allocation

    def render(with_button: bool) -> Reply:
        lines = [
            _(
                "{rt}: the Pokja treasurer reports {amount} received on {date}.",
                rt=rt_nama_dari_kode(rt.kode),
                amount=rupiah(amount),
                date=tanggal(on),
            )
        ]
        if allocation is None:
            lines.append(_("Attention: the RT's number of KK is not registered, so its allocation is unknown."))
        elif amount != allocation:
            lines.append(
                _(
                    "Attention: this differs from the RT's allocation of {allocation} (difference {difference}).",
                    allocation=rupiah(allocation),
                    difference=rupiah(abs(amount - allocation)),
                )
            )
        if with_button:
            lines.append(_("Please review the proof of transfer."))
            return Reply("\n".join(lines), (Choice(action_choice_id(TINJAU_ACTION, report_id), _("Review")),))
        return Reply("\n".join(lines))

    pendamping = await ctx.session.get(Person, rt.pendamping_id) if rt.pendamping_id else None
    if pendamping is not None:
        await ctx.notify(pendamping, lambda: render(True))
    if mismatch:
        admins = await ctx.session.scalars(
            select(Person).where(Person.role == Role.ADMIN, Person.active.is_(True)).order_by(Person.id)
        )
        for admin in admins:
            if pendamping is None or admin.id != pendamping.id:
                await ctx.notify(admin, lambda: render(False))


FLOW = Flow(
    name="dana",
    roles=frozenset({Role.BENDAHARA.value}),
    start=start,
    steps={
        "jumlah": Step(ask_amount, handle_amount),
        "tanggal": Step(ask_date, handle_date),
        "bukti": Step(ask_proof, handle_proof),
        "ringkasan": Step(ask_summary, handle_summary),
        same_proof.SAME_STEP: same_proof.step(lambda: _("This proof of transfer"), _save),
        **ubah_lalu.steps(RECEIPT),
    },
)
