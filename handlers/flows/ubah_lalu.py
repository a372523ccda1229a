""" "Ubah atau hapus yang lalu": inside /belanja and /dana, the treasurer corrects or cancels an entry of the last
30 days. The pendamping is told of every change; a cancelled entry no longer counts in /saldo.

```mermaid
stateDiagram-v2
    [*] --> lalu: button on the amount question (or /dana when funds are already confirmed)
    lalu --> lalu_apa: one of the recent entries
    lalu_apa --> lalu_jumlah: change the amount
    lalu_apa --> lalu_tanggal: change the date
    lalu_apa --> lalu_keperluan: change what it was for (spending only)
    lalu_apa --> lalu_ok: cancel the entry
    lalu_jumlah --> lalu_ok
    lalu_tanggal --> lalu_ok
    lalu_keperluan --> lalu_ok
    lalu_ok --> [*]: save → corrected / cancelled + audit + pendamping notified; or nothing changed
```
"""

from datetime import date

from handlers.context import Context
from handlers.flow import Data, Finish, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows import bendahara_input as ask
from handlers.flows import past_date
from handlers.flows.ketua_common import pendamping_of, picked
from handlers.formatting import rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services import fund_corrections, funds, numbers
from services.fund_corrections import RECEIPT, SPENDING, Entry
from services.models import RT, FundReceipt, Kelurahan

OFFER = "lalu"  # the button on the amount question
LIST, WHAT, CONFIRM = "lalu", "lalu_apa", "lalu_ok"
AMOUNT, DATE, DESCRIPTION = "lalu_jumlah", "lalu_tanggal", "lalu_keperluan"
CANCEL_ENTRY = "hapus"
CHANGES = {AMOUNT: ("jumlah", "ubah jumlah"), DATE: ("tanggal", "ubah tanggal"), DESCRIPTION: ("keperluan",)}
SHORT = 40


def offer_choice() -> Choice:
    return Choice(OFFER, _("Change or delete an earlier one"))


async def has_recent(ctx: Context, kind: str, rt: RT) -> bool:
    return bool(await fund_corrections.recent(ctx.session, kind, rt.id, ctx.now))


def offered(incoming: Incoming) -> bool:
    return picked(incoming, {OFFER: ("ubah", "hapus", "ubah atau hapus")}) == OFFER


def enter(data: Data, kind: str, replies: tuple[Reply, ...] = ()) -> Goto:
    data.clear()
    data["lalu"] = {"kind": kind}
    return Goto(LIST, replies)


def _remember(data: Data, **answers: object) -> None:
    # A new dict, not a change inside the stored one: the conversation is saved when its data compares different.
    data["lalu"] = {**data["lalu"], **answers}


def described(entry: Entry) -> str:
    """`12 Februari 2026 · Rp1.500.000 · 20 sak semen`"""
    parts = [tanggal(entry.on), rupiah(entry.amount)]
    if entry.description:
        parts.append(entry.description if len(entry.description) <= SHORT else entry.description[: SHORT - 1] + "…")
    return " · ".join(parts)


async def _entry(ctx: Context, data: Data) -> tuple[RT | None, Entry | None]:
    rt = await ask.own_rt(ctx)
    state = data["lalu"]
    if rt is None or "id" not in state:
        return rt, None
    return rt, await fund_corrections.find(ctx.session, state["kind"], rt.id, state["id"], ctx.now)


def _gone() -> Finish:
    return Finish((Reply(_("That entry can no longer be changed (older than 30 days, or already cancelled).")),))


async def ask_list(ctx: Context, data: Data) -> Reply:
    rt = await ask.own_rt(ctx)
    entries = await fund_corrections.recent(ctx.session, data["lalu"]["kind"], rt.id, ctx.now) if rt else []
    if not entries:
        return Reply(_("There is nothing of the last 30 days to change. Send /batal to stop."))
    # The entries are the buttons (a list on WhatsApp): written in the text too, they would show twice.
    choices = tuple(Choice(f"e:{entry.id}", described(entry)) for entry in entries)
    text = _("Entries of the last 30 days. Which one do you want to change or delete? Press one.")
    return Reply(text, choices, Expect.CHOICE)


async def handle_list(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    rt = await ask.own_rt(ctx)
    if rt is None:
        return Finish((Reply(ask.not_linked_reason()),))
    entries = await fund_corrections.recent(ctx.session, data["lalu"]["kind"], rt.id, ctx.now)
    chosen = None
    if incoming.kind == Kind.CHOICE and (incoming.choice or "").startswith("e:"):
        wanted = numbers.record_id(incoming.choice[2:])
        chosen = next((e for e in entries if e.id == wanted), None)
    elif incoming.kind == Kind.TEXT and (at := numbers.position(incoming.text.strip(), len(entries))) is not None:
        chosen = entries[at]
    if chosen is None:
        return Stay(_("Please press one of the entries, or type its number, for example 1."))
    data["lalu"] = {"kind": chosen.kind, "id": chosen.id}
    return Goto(WHAT)


async def ask_what(ctx: Context, data: Data) -> Reply:
    _rt, entry = await _entry(ctx, data)
    if entry is None:
        return Reply(_("That entry can no longer be changed (older than 30 days, or already cancelled)."))
    choices = [Choice(AMOUNT, _("Change the amount")), Choice(DATE, _("Change the date"))]
    if entry.kind == SPENDING:
        choices.append(Choice(DESCRIPTION, _("Change what it was for")))
    choices.append(Choice(CANCEL_ENTRY, _("Delete this entry")))
    text = _("{entry}\nWhat do you want to do with it?", entry=described(entry))
    return Reply(text, tuple(choices), Expect.CHOICE)


async def handle_what(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    _rt, entry = await _entry(ctx, data)
    if entry is None:
        return _gone()
    words = {**CHANGES, CANCEL_ENTRY: ("hapus", "batalkan")}
    if entry.kind != SPENDING:
        words.pop(DESCRIPTION)
    chosen = picked(incoming, words)
    if chosen is None:
        return Stay(_("Please press one of the buttons."))
    if chosen == CANCEL_ENTRY:
        _remember(data, cancel=True)
        return Goto(CONFIRM)
    return Goto(chosen)


async def ask_amount(ctx: Context, data: Data) -> Reply:
    return Reply(_("Type the right amount, for example 1.500.000 or 1,5 juta."), expect=Expect.NUMBER)


async def handle_amount(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    amount, reason = ask.read_amount(incoming)
    if reason:
        return Stay(reason)
    _remember(data, amount=amount)
    return Goto(CONFIRM)


async def ask_date(ctx: Context, data: Data) -> Reply:
    return Reply(_("Choose a button or type the right date."), past_date.choices(), Expect.TEXT)


async def handle_date(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    value, reason = past_date.read(ctx, incoming)
    if reason:
        return Stay(reason)
    _remember(data, on=value.isoformat())
    return Goto(CONFIRM)


async def ask_description(ctx: Context, data: Data) -> Reply:
    return Reply(_("Write what it was for, for example: 20 sak semen untuk jalan setapak."), expect=Expect.TEXT)


async def handle_description(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    text, reason = ask.read_description(incoming)
    if reason:
        return Stay(reason)
    _remember(data, description=text)
    return Goto(CONFIRM)


def _after(entry: Entry, state: dict) -> Entry:
    return Entry(
        entry.kind,
        entry.id,
        state.get("amount", entry.amount),
        date.fromisoformat(state["on"]) if "on" in state else entry.on,
        state.get("description", entry.description),
    )


async def ask_confirm(ctx: Context, data: Data) -> Reply:
    _rt, entry = await _entry(ctx, data)
    if entry is None:
        return Reply(_("That entry can no longer be changed (older than 30 days, or already cancelled)."))
    state = data["lalu"]
    if state.get("cancel"):
        text = _(
            "Delete this entry?\n{entry}\nIt will no longer count in /saldo. Your pendamping is told.",
            entry=described(entry),
        )
        return Reply(text, (Choice(ask.SAVE, _("Yes, delete")), Choice(ask.CANCEL, _("No"))), Expect.CHOICE)
    text = _(
        "Change this entry?\nBefore: {before}\nAfter: {after}\nYour pendamping is told.",
        before=described(entry),
        after=described(_after(entry, state)),
    )
    return Reply(text, ask.confirm_choices(), Expect.CHOICE)


async def handle_confirm(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    answer, reason = ask.read_confirm(incoming)
    if reason:
        return Stay(reason)
    if answer == ask.CANCEL:
        return Finish((Reply(_("OK, nothing was changed.")),))
    rt, entry = await _entry(ctx, data)
    if rt is None or entry is None:
        return _gone()
    state = data["lalu"]
    if state.get("cancel"):
        await fund_corrections.cancel(
            ctx.session, kind=entry.kind, rt=rt, entry_id=entry.id, person=ctx.person, actor=ctx.actor, now=ctx.now
        )
        done = _("Deleted: {entry}. It no longer counts in /saldo.", entry=described(entry))
        await _notify(ctx, rt, entry, None)
    else:
        _before, after = await fund_corrections.correct(
            ctx.session,
            kind=entry.kind,
            rt=rt,
            entry_id=entry.id,
            person=ctx.person,
            actor=ctx.actor,
            now=ctx.now,
            amount=state.get("amount"),
            on=date.fromisoformat(state["on"]) if "on" in state else None,
            description=state.get("description"),
        )
        done = _("Changed: {entry}.", entry=described(after))
        await _notify(ctx, rt, entry, after)
    remaining = await funds.total_received(ctx.session, rt.id) - await funds.total_spent(ctx.session, rt.id)
    shown = rupiah(remaining) if remaining >= 0 else "-" + rupiah(-remaining)
    balance = _("Remaining balance: {remaining}.", remaining=shown)
    return Finish((Reply(f"{done}\n{balance}"),))


async def _notify(ctx: Context, rt: RT, before: Entry, after: Entry | None) -> None:
    """The pendamping hears of every correction; a corrected funds receipt comes back to their review."""
    pendamping = await pendamping_of(ctx, rt)
    if pendamping is None:
        return
    kelurahan = await ctx.session.get(Kelurahan, rt.kelurahan_kode)
    kelurahan_name = kelurahan.nama if kelurahan else rt.kelurahan_kode
    report_id = None
    if before.kind == RECEIPT and after is not None:
        report_id = (await ctx.session.get(FundReceipt, before.id)).report_id

    def render() -> Reply:
        where = _("RT {nomor} of {kelurahan}", nomor=rt.nomor, kelurahan=kelurahan_name)
        what = _("spending") if before.kind == SPENDING else _("funds received")
        if after is None:
            text = _(
                "{rt}: the Pokja treasurer deleted an entry of {what}: {entry}. It no longer counts in the balance.",
                rt=where,
                what=what,
                entry=described(before),
            )
        else:
            text = _(
                "{rt}: the Pokja treasurer corrected an entry of {what}.\nBefore: {before}\nAfter: {after}",
                rt=where,
                what=what,
                before=described(before),
                after=described(after),
            )
        if report_id is not None:
            text += "\n" + _("Please review the proof of transfer again.")
            return Reply(text, (Choice(action_choice_id("tinjau", report_id), _("Review")),))
        return Reply(text)

    await ctx.notify(pendamping, render)


def steps(kind: str) -> dict[str, Step]:
    """The steps for entries of this kind (a funds receipt has no description to change)."""
    steps = {
        LIST: Step(ask_list, handle_list),
        WHAT: Step(ask_what, handle_what),
        AMOUNT: Step(ask_amount, handle_amount),
        DATE: Step(ask_date, handle_date),
        CONFIRM: Step(ask_confirm, handle_confirm),
    }
    if kind == SPENDING:
        steps[DESCRIPTION] = Step(ask_description, handle_description)
    return steps
