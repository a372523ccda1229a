"""`/siaran`: a message from a pendamping (or an admin) to the Ketua RT of a group of RTs.

```mermaid
graph LR
  start --> audience --> text --> confirm
  confirm -->|Ubah teks| text
  confirm -->|Kirim| queued
  confirm -->|Batal| cancelled
```

Nothing is written before "Kirim": then one Broadcast row and one outbox row per recipient, which the delivery
worker sends within each channel's limits and reports back on. The preview says how many go now and how many wait
for WhatsApp's daily quota (services.whatsapp_quota), over how many days.
"""

from handlers.context import Context
from handlers.delivery_plan import plan_summary
from handlers.flow import Data, Finish, Flow, Goto, Outcome, Stay, Step
from handlers.flows.pendamping_audience import (
    SCOPE_OF,
    audience_choices,
    audience_name,
    broadcast_text,
    payload_renderer,
)
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services import broadcasts
from services.assignments import rts_for
from services.models import Role
from services.whatsapp_quota import DEFAULT_DAILY_LIMIT, QuotaPlan


def audience_problem(choice: str, audience: broadcasts.Audience) -> str | None:
    """Why this group cannot be sent to (nobody in it, nobody registered), or None. The dashboard asks it too."""
    if not audience.rts:
        if choice == "late":
            return _("None of these RTs is behind schedule. 👍 Please choose another group.")
        return _("No RT is in this group. Please choose another group.")
    if not audience.recipients:
        return _(
            "No Ketua RT of these {count} RTs has registered yet, so nobody would receive the message. "
            "Please choose another group.",
            count=len(audience.rts),
        )
    return None


def text_problem(text: str) -> str | None:
    """Why this (stripped) text cannot be broadcast, or None: the limits of services.broadcasts.check_text."""
    if not text:
        return _("The message is empty. Please type the text you want to send.")
    if len(text) > broadcasts.MAX_TEXT:
        return _(
            "The message is too long ({length} characters). Please shorten it to at most {maximum} characters.",
            length=len(text),
            maximum=broadcasts.MAX_TEXT,
        )
    return None


def confirmation_lines(choice: str, audience: broadcasts.Audience, plan: QuotaPlan) -> list[str]:
    """Who receives it and when (WhatsApp's daily quota): what the sender confirms, in the chat and on the
    dashboard."""
    lines = [
        _(
            "To: {group}. Recipients: {count} Ketua RT in {rts} RTs.",
            group=audience_name(choice),
            count=len(audience.recipients),
            rts=len(audience.rts) - audience.unregistered_rts,
        )
    ]
    if audience.unregistered_rts:
        lines.append(
            _(
                "Not registered yet (belum terdaftar): {count} RTs; their Ketua RT will not receive it.",
                count=audience.unregistered_rts,
            )
        )
    lines.append(plan_summary(plan))
    return lines


def daily_limit(ctx: Context) -> int:
    """WHATSAPP_DAILY_LIMIT, as the runtime hands it to the engine."""
    return ctx.settings.get("whatsapp_daily_limit", DEFAULT_DAILY_LIMIT)


async def start(ctx: Context, data: Data) -> Outcome:
    if not await rts_for(ctx.session, ctx.person):
        return Finish((Reply(_("No RT is assigned to you yet. Please contact the admin (DPMPPA).")),))
    return Goto("audience")


async def ask_audience(ctx: Context, data: Data) -> Reply:
    rts = await rts_for(ctx.session, ctx.person)
    return Reply(
        _("Who should receive the message? It goes to the Ketua RT of the RTs you choose."),
        audience_choices(ctx.person, rts),
        Expect.CHOICE,
    )


async def _audience(ctx: Context, choice_id: str) -> broadcasts.Audience:
    scope, kelompok = SCOPE_OF[choice_id]
    return await broadcasts.select_audience(
        ctx.session, ctx.program, ctx.person, scope, kelompok=kelompok, today=ctx.today
    )


async def handle_audience(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    choice = incoming.choice if incoming.kind == Kind.CHOICE else None
    offered = {c.id for c in audience_choices(ctx.person, await rts_for(ctx.session, ctx.person))}
    if choice not in offered:
        return Stay(_("Please choose one of the groups with the buttons."))
    problem = audience_problem(choice, await _audience(ctx, choice))
    if problem:
        return Stay(problem)
    data["audience"] = choice
    return Goto("text")


async def ask_text(ctx: Context, data: Data) -> Reply:
    return Reply(
        _(
            "Type the message for {group} (at most {maximum} characters). Send /batal to cancel.",
            group=audience_name(data["audience"]),
            maximum=broadcasts.MAX_TEXT,
        ),
        expect=Expect.TEXT,
    )


async def handle_text(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind != Kind.TEXT:
        return Stay(_("Please type the message as text. Photos, files and stickers cannot be broadcast."))
    text = incoming.text.strip()
    problem = text_problem(text)
    if problem:
        return Stay(problem)
    data["text"] = text
    return Goto("confirm")


async def ask_confirm(ctx: Context, data: Data) -> Reply:
    audience = await _audience(ctx, data["audience"])
    plan = await broadcasts.delivery_plan(ctx.session, audience, ctx.now, daily_limit(ctx))
    lines = [
        _("Preview: this is what the Ketua RT will receive."),
        "",
        broadcast_text(ctx.person, data["text"]),
        "",
        *confirmation_lines(data["audience"], audience, plan),
        _("Send the message?"),
    ]
    return Reply(
        "\n".join(lines),
        (Choice("send", _("Send")), Choice("edit", _("Change the text")), Choice("cancel", _("Cancel"))),
        Expect.CHOICE,
    )


async def handle_confirm(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    choice = incoming.choice if incoming.kind == Kind.CHOICE else None
    if choice == "edit":
        return Goto("text")
    if choice == "cancel":
        return Finish((Reply(_("Cancelled. Nothing was sent.")),))
    if choice != "send":
        return Stay(_("Please choose Send, Change the text or Cancel."))
    # The audience is chosen again now: someone may have registered (or fallen behind) since the preview.
    audience = await _audience(ctx, data["audience"])
    if not audience.recipients:
        return Finish((Reply(_("Nobody in this group can receive messages now. Nothing was sent.")),))
    _broadcast, queued = await broadcasts.create_broadcast(
        ctx.session,
        ctx.person,
        audience,
        data["text"],
        payload_renderer(ctx.person, data["text"]),
        actor=ctx.actor,
        now=ctx.now,
        daily_limit=daily_limit(ctx),
    )
    return Finish(
        (Reply(_("Message scheduled for {count} recipients. You will receive a delivery report.", count=queued)),)
    )


FLOW = Flow(
    name="siaran",
    roles=frozenset({Role.PENDAMPING, Role.ADMIN}),
    start=start,
    steps={
        "audience": Step(ask_audience, handle_audience),
        "text": Step(ask_text, handle_text),
        "confirm": Step(ask_confirm, handle_confirm),
    },
)
