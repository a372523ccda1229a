"""The RT hears about its money: the Ketua RT when the treasurer records funds received (/dana), and the Ketua RT
and the Bendahara Pokja when the pendamping confirms them (approves the `pencairan_dana` report)."""

from datetime import date

from handlers.context import Context, Desk
from handlers.flows.ketua_common import ketua_of, rt_name
from handlers.formatting import rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Reply
from handlers.sapaan import sapaan
from services import funds, seats
from services.models import RT, Person, ReportStatus, Role, StageReport


async def recorded(ctx: Context, rt: RT, amount: int, on: date) -> None:
    """The treasurer saved /dana: the Ketua RT learns the money is in, and that the pendamping will check it."""
    where, treasurer = await rt_name(ctx, rt), ctx.person

    def render() -> Reply:
        return Reply(
            _(
                "{rt}: the Bendahara Pokja {greeting} recorded {amount} received in the Pokja's account on {date}. "
                "The pendamping will check the proof; you will hear when it is confirmed.",
                rt=where,
                greeting=sapaan(treasurer),
                amount=rupiah(amount),
                date=tanggal(on),
            )
        )

    for ketua in await ketua_of(ctx, rt):
        await ctx.notify(ketua, render, purpose="pemberitahuan")


async def confirmed(ctx: Desk, report: StageReport, rt: RT) -> None:
    """After a review: when funds were confirmed, tell the RT's Ketua and Bendahara (the sender heard already)."""
    if report.stage_key != funds.STAGE_PENCAIRAN or report.status != ReportStatus.DISETUJUI:
        return
    people: dict[int, Person] = {p.id: p for p in await ketua_of(ctx, rt)}
    treasurer = await seats.holder(ctx.session, rt.id, Role.BENDAHARA.value)
    if treasurer is not None:
        people[treasurer.id] = treasurer
    people.pop(report.submitted_by_id, None)
    where, reviewer = await rt_name(ctx, rt), ctx.person
    amount = (report.answers or {}).get("jumlah")

    def render(person: Person) -> Reply:
        text = _(
            "✅ The funds of {rt} are confirmed received: {amount} on {date}, checked by the pendamping {name}.",
            rt=where,
            amount=rupiah(amount) if isinstance(amount, int) else "-",
            date=tanggal(report.happened_on),
            name=reviewer.nama or "-",
        )
        if person.role == Role.BENDAHARA:
            text += "\n" + _("Record each purchase with /belanja and see the balance with /saldo.")
        else:
            text += "\n" + _("Send /laporan to see everything your RT has reported.")
        return Reply(text)

    for person in people.values():
        await ctx.notify(person, lambda p=person: render(p), purpose="pemberitahuan")
