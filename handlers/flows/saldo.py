"""`/saldo`: funds received, spent and remaining for the treasurer's RT, per bidang, with the latest items."""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.flows import bendahara_input as ask
from handlers.formatting import rt_nama_dari_kode, rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Reply
from services import funds
from services.models import Role

LATEST = 5
MAX_DESCRIPTION_SHOWN = 60


def _short(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION_SHOWN else text[: MAX_DESCRIPTION_SHOWN - 1] + "…"


def _signed(amount: int) -> str:
    # `-Rp200.000` reads as a debt at a glance; `Rp-200.000` is easy to misread.
    return rupiah(amount) if amount >= 0 else "-" + rupiah(-amount)


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await ask.own_rt(ctx)
    if rt is None:
        return Finish((Reply(ask.not_linked_reason()),))
    bidang = ctx.program.bidang
    balance = await funds.balance(ctx.session, rt.id, list(bidang), latest=LATEST)
    lines = [
        _("Pokja funds of {rt}", rt=rt_nama_dari_kode(rt.kode)),
        _("Received: {amount}", amount=rupiah(balance.received)),
        _("Spent: {amount}", amount=rupiah(balance.spent)),
        _("Remaining: {amount}", amount=_signed(balance.remaining)),
    ]
    if balance.remaining < 0:
        lines.append(
            _(
                "⚠️ Warning: spending is {amount} more than the funds received. "
                "Check the amounts, or confirm missing funds with /dana.",
                amount=rupiah(-balance.remaining),
            )
        )
    if not balance.received:
        lines.append(_("No funds have been recorded as received yet. Confirm them with /dana when they arrive."))
    spent = [(key, total) for key, total in balance.by_bidang.items() if total]  # no "Rp0" lines
    if spent:
        lines += ["", _("Spent per bidang:")]
        lines += [f"• {bidang.get(key, key)}: {rupiah(total)}" for key, total in spent]
    lines.append("")
    if balance.latest:
        lines.append(_("Latest spending:"))
        lines += [
            f"• {tanggal(item.spent_on)} · {rupiah(item.amount)} · {_short(item.description)}"
            for item in balance.latest
        ]
    else:
        lines.append(_("No spending recorded yet. Record each purchase with /belanja."))
    return Finish((Reply("\n".join(lines)),))


FLOW = Flow(name="saldo", roles=frozenset({Role.BENDAHARA.value}), start=start)
