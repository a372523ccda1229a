"""`/belanja`: the Pokja treasurer records one spending item with its receipt, for the LPJ.

```mermaid
stateDiagram-v2
    [*] --> jumlah: (warned when no funds were received yet)
    jumlah --> keperluan: amount
    keperluan --> bidang: what it was for (≤ 200 characters)
    bidang --> tanggal: one of the four bidang
    tanggal --> nota: date
    nota --> ringkasan: one photo / PDF of the receipt (reference only)
    ringkasan --> [*]: save → Spending + Media
    ringkasan --> sama: the same receipt content already kept for this RT
    sama --> [*]: save anyway → Spending + Media; cancel → nothing saved
    ringkasan --> [*]: cancel → nothing saved
    jumlah --> lalu: "Ubah atau hapus yang lalu" (see ubah_lalu.py)
```
"""

from datetime import date

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.flows import bendahara_input as ask
from handlers.flows import date_example, past_date, same_proof, ubah_lalu
from handlers.formatting import rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services import funds, numbers
from services.fund_corrections import SPENDING
from services.models import Role


def no_funds_text() -> str:
    return _(
        "Note: no funds have been recorded as received for your RT yet. "
        "You can still record this spending; confirm the funds with /dana when they arrive."
    )


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await ask.own_rt(ctx)
    if rt is None:
        return Finish((Reply(ask.not_linked_reason()),))
    received = await funds.total_received(ctx.session, rt.id)
    return Goto("jumlah", () if received else (Reply(no_funds_text()),))


async def ask_amount(ctx: Context, data: Data) -> Reply:
    rt = await ask.own_rt(ctx)
    earlier = rt is not None and await ubah_lalu.has_recent(ctx, SPENDING, rt)
    return Reply(
        _("How much was spent? Type the amount, for example 1.500.000 or 1,5 juta."),
        (ubah_lalu.offer_choice(),) if earlier else (),
        expect=Expect.NUMBER,
    )


async def handle_amount(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if ubah_lalu.offered(incoming):
        return ubah_lalu.enter(data, SPENDING)
    amount, reason = ask.read_amount(incoming)
    if reason:
        return Stay(reason)
    data["jumlah"] = amount
    return Goto("keperluan")


async def ask_description(ctx: Context, data: Data) -> Reply:
    return Reply(
        _("What was it for? Write it briefly, for example: 20 sak semen untuk jalan setapak."),
        expect=Expect.TEXT,
    )


async def handle_description(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    text, reason = ask.read_description(incoming)
    if reason:
        return Stay(reason)
    data["keperluan"] = text
    return Goto("bidang")


async def ask_bidang(ctx: Context, data: Data) -> Reply:
    choices = tuple(Choice(key, name) for key, name in ctx.program.bidang.items())
    return Reply(_("Which field of activity (bidang) is it for?"), choices, Expect.CHOICE)


def _typed_bidang(ctx: Context, text: str) -> str | None:
    """A typed number (1–4, the order shown) or the bidang's name, for channels that show numbered text."""
    typed = text.strip().lower().rstrip(".")
    keys = list(ctx.program.bidang)
    if (picked_at := numbers.position(typed, len(keys))) is not None:
        return keys[picked_at]
    for key, name in ctx.program.bidang.items():
        if typed and typed in (key, name.lower()):
            return key
    return None


async def handle_bidang(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    key = None
    if incoming.kind == Kind.CHOICE and incoming.choice in ctx.program.bidang:
        key = incoming.choice
    elif incoming.kind == Kind.TEXT:
        key = _typed_bidang(ctx, incoming.text)
    if key is None:
        return Stay(_("Please choose one of the bidang buttons."))
    data["bidang"] = key
    return Goto("tanggal")


async def ask_date(ctx: Context, data: Data) -> Reply:
    return Reply(
        _(
            "On which date was it bought or paid? Choose a button or type the date, for example {date}.",
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
    return Goto("nota")


async def ask_receipt(ctx: Context, data: Data) -> Reply:
    return Reply(_("Send one photo of the receipt (nota or kuitansi), or a PDF."), expect=Expect.MEDIA)


async def handle_receipt(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    ref, reason = ask.read_evidence(incoming)
    if reason:
        return Stay(reason)
    data["nota"] = ref
    return Goto("ringkasan")


async def ask_summary(ctx: Context, data: Data) -> Reply:
    amount = data["jumlah"]
    lines = [
        _("Please check before saving:"),
        _("Amount spent: {amount}", amount=rupiah(amount)),
        _("For: {description}", description=data["keperluan"]),
        _("Field of activity: {bidang}", bidang=ctx.program.bidang.get(data["bidang"], data["bidang"])),
        _("Date: {date}", date=tanggal(date.fromisoformat(data["tanggal"]))),
        _("Receipt: 1 file received"),
    ]
    rt = await ask.own_rt(ctx)
    if rt is not None:
        received = await funds.total_received(ctx.session, rt.id)
        after = received - await funds.total_spent(ctx.session, rt.id) - amount
        if not received:
            lines.append(no_funds_text())
        elif after < 0:
            lines.append(
                _(
                    "Warning: after this, spending is {amount} more than the funds received.",
                    amount=rupiah(-after),
                )
            )
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
    if data["bidang"] not in ctx.program.bidang:
        # The program file changed while the question was open.
        return Goto("bidang", (Reply(_("Please choose one of the bidang buttons.")),))
    too_large = _("That file is larger than 20 MB. Please send a smaller photo or PDF.")
    receipt, reason = await ask.fetch_evidence(ctx, data["nota"], too_large)
    if reason:
        return Goto("nota", (Reply(reason),))
    detour = await same_proof.detour(ctx, data, rt, receipt)
    if detour:
        return detour
    spent_on = date.fromisoformat(data["tanggal"])
    await funds.record_spending(
        ctx.session,
        ctx.media,
        rt=rt,
        person=ctx.person,
        amount=data["jumlah"],
        description=data["keperluan"],
        bidang=data["bidang"],
        known_bidang=ctx.program.bidang,
        spent_on=spent_on,
        receipt=receipt,
        actor=ctx.actor,
        now=ctx.now,
    )
    remaining = await funds.total_received(ctx.session, rt.id) - await funds.total_spent(ctx.session, rt.id)
    saved = _("Saved: {amount} on {date}.", amount=rupiah(data["jumlah"]), date=tanggal(spent_on))
    if remaining >= 0:
        balance = _("Remaining balance: {remaining}.", remaining=rupiah(remaining))
    else:
        balance = _("Warning: spending is {amount} more than the funds received.", amount=rupiah(-remaining))
    next_step = _("Send /belanja for the next item or /saldo to see the totals.")
    return Finish((Reply("\n".join((saved, balance, next_step))),))


FLOW = Flow(
    name="belanja",
    roles=frozenset({Role.BENDAHARA.value}),
    start=start,
    steps={
        "jumlah": Step(ask_amount, handle_amount),
        "keperluan": Step(ask_description, handle_description),
        "bidang": Step(ask_bidang, handle_bidang),
        "tanggal": Step(ask_date, handle_date),
        "nota": Step(ask_receipt, handle_receipt),
        "ringkasan": Step(ask_summary, handle_summary),
        same_proof.SAME_STEP: same_proof.step(lambda: _("This receipt"), _save),
        **ubah_lalu.steps(SPENDING),
    },
)
