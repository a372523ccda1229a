"""`/hubungi`: a Ketua RT or Bendahara Pokja writes to their pendamping; "Balas" answers, either way.

```mermaid
stateDiagram-v2
    [*] --> pesan: /hubungi (the pendamping's name and phone, then "write your message")
    [*] --> pesan: free text the bot did not understand (engine), e.g. "Baik pak, saya hadir", kept in data
    pesan --> [*]: with that text: Kirim ke pendamping → sent / Tidak → menu
    pesan --> [*]: text → kept in `pesan`, delivered through the outbox with a "Balas" button
    [*] --> pesan: the "Balas" button (act:balas:<pesan id>) under a message received
```
"""

import unicodedata

from handlers.context import Context
from handlers.flow import Data, Enter, Finish, Flow, Goto, Outcome, Stay, Step, action_choice_id
from handlers.flows.ketua_common import own_rt, pendamping_of, picked, rt_name
from handlers.i18n import _
from handlers.menu import menu_reply, role_name
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.problems import describe
from handlers.sapaan import sapaan
from handlers.yes_no import NO, YES
from services import numbers, outbox, pesan
from services.models import RT, Person, Role
from services.problems import ProblemError

NAME = "hubungi"
BALAS = "balas"
RT_ROLES = (Role.KETUA_RT.value, Role.BENDAHARA.value)
CANCEL = "cancel"
OFFER_WORDS = {"send": ("kirim", *YES, "send", "1"), "no": (*NO, "2")}


def phone_text(phone: str | None) -> str | None:
    """`+6281234567890` as people dial it: `081234567890`."""
    if not phone:
        return None
    return "0" + phone[3:] if phone.startswith("+62") else phone


def _pendamping_line(rt_label: str, pendamping: Person) -> str:
    phone = phone_text(pendamping.phone)
    if phone:
        return _(
            "The pendamping of {rt} is {name}, phone {phone}.",
            rt=rt_label,
            name=pendamping.nama or "-",
            phone=phone,
        )
    return _(
        "The pendamping of {rt} is {name} (no phone number is recorded).", rt=rt_label, name=pendamping.nama or "-"
    )


async def _pendamping(ctx: Context) -> tuple[RT, Person] | None:
    rt = await own_rt(ctx)
    if rt is None:
        return None
    pendamping = await pendamping_of(ctx, rt)
    return (rt, pendamping) if pendamping is not None else None


async def _reachable(ctx: Context, person: Person) -> bool:
    """Whether the bot can deliver to them: a pendamping from the roster who never registered cannot be written to."""
    return await outbox.preferred_identity(ctx.session, person.id) is not None


async def start(ctx: Context, data: Data) -> Outcome:
    if ctx.person.role not in RT_ROLES:
        return Finish(
            (
                Reply(
                    _(
                        "/hubungi is how a Ketua RT or Bendahara Pokja writes to their pendamping. To answer a "
                        "message from an RT, press Balas under it."
                    )
                ),
            )
        )
    found = await _pendamping(ctx)
    if found is None:
        return Finish(
            (
                Reply(
                    _(
                        "Your RT has no pendamping assigned in the bot yet, so no message can be sent. "
                        "Please contact the kelurahan office or DPMPPA."
                    )
                ),
            )
        )
    rt, pendamping = found
    intro = _pendamping_line(await rt_name(ctx, rt), pendamping)
    if not await _reachable(ctx, pendamping):
        later = _(
            "{name} does not use the bot yet, so a message cannot be sent here. Please contact them directly.",
            name=pendamping.nama or "-",
        )
        return Finish((Reply(intro + "\n" + later),))
    data.update(to=pendamping.id, rt_id=rt.id, intro=intro)
    return Goto("pesan")


async def ask_pesan(ctx: Context, data: Data) -> Reply:
    if data.get("text"):
        return await _ask_offer(ctx, data)
    recipient = await ctx.session.get(Person, data["to"])
    if data.get("reply_to"):
        text = _(
            "Type your answer to {name} in one message. Or press Cancel.",
            name=sapaan(recipient) if recipient.role in RT_ROLES else recipient.nama or "-",
        )
    else:
        text = (
            data.get("intro", "")
            + "\n"
            + _(
                "Type your message for the pendamping in one message, for example: Bu, our rembuk warga will be on "
                "Saturday. It is sent with your name and RT. Or press Cancel."
            )
        )
    return Reply(text, (Choice(CANCEL, _("Cancel")),), Expect.TEXT)


async def handle_pesan(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if data.get("text"):
        return await _handle_offer(ctx, data, incoming)
    if incoming.kind == Kind.CHOICE and incoming.choice == CANCEL:
        return Finish((Reply(_("Not sent.")), menu_reply(ctx.person.role)))
    if incoming.kind != Kind.TEXT:
        return Stay(_("Please type the message as text."))
    try:
        text = pesan.check_text(incoming.text)
    except ProblemError as error:
        return Stay(describe(error.problems[0]))
    return await _send(ctx, data, text)


# Text already written, offered to the pendamping: the same step, with the text waiting in `data["text"]` (one step,
# so a conversation reaches it by answering, like every other).
async def _ask_offer(ctx: Context, data: Data) -> Reply:
    recipient = await ctx.session.get(Person, data["to"])
    text = _(
        "This message has not been sent to anyone:\n“{text}”\nSend it to your pendamping {name}?",
        text=data["text"],
        name=recipient.nama or "-",
    )
    return Reply(text, (Choice("send", _("Send to the pendamping")), Choice("no", _("No"))), Expect.CHOICE)


async def _handle_offer(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    pressed = picked(incoming, OFFER_WORDS)
    if pressed is None:
        return Stay(_("Please press Send to the pendamping, or No."))
    if pressed == "no":
        return Finish((Reply(_("OK, it was not sent.")), menu_reply(ctx.person.role)))
    return await _send(ctx, data, data["text"])


async def _send(ctx: Context, data: Data, text: str) -> Outcome:
    recipient = await ctx.session.get(Person, data["to"])
    reply_to = await pesan.to_answer(ctx.session, ctx.person, data["reply_to"]) if data.get("reply_to") else None
    rt = await ctx.session.get(RT, data["rt_id"])
    kept = await pesan.send(
        ctx.session, rt_id=rt.id, sender=ctx.person, recipient=recipient, text=text, reply_to=reply_to, now=ctx.now
    )
    sender, where = ctx.person, await rt_name(ctx, rt)

    def render() -> Reply:
        if sender.role in RT_ROLES:
            heading = _(
                "✉️ Message from {name}, {role} of {rt}:",
                name=sapaan(sender),
                role=role_name(sender.role),
                rt=where,
            )
        else:
            heading = _("✉️ Answer from your pendamping {name}:", name=sender.nama or "-")
        return Reply(
            f"{heading}\n{kept.text}\n\n" + _("Press Reply to answer."),
            (Choice(action_choice_id(BALAS, kept.id), _("Reply")),),
        )

    told = await ctx.notify(recipient, render, purpose="pemberitahuan")
    if not told:
        # They left the bot since the question was asked: nothing is kept that nobody will read.
        await ctx.session.delete(kept)
        return Finish(
            (Reply(_("{name} cannot be reached in the bot yet. Nothing was sent.", name=recipient.nama or "-")),)
        )
    if sender.role in RT_ROLES:
        done = _("Sent to your pendamping {name}. The answer will appear here.", name=recipient.nama or "-")
    else:
        done = _("Your answer was sent to {name}.", name=sapaan(recipient))
    return Finish((Reply(done),))


async def answer(ctx: Context, argument: str) -> list[Reply] | Enter:
    """The "Balas" button under a message received: write the answer to whoever sent it."""
    pesan_id = numbers.record_id(argument)
    try:
        if pesan_id is None:
            raise ProblemError.one("pesan_not_found", id=argument)
        original = await pesan.to_answer(ctx.session, ctx.person, pesan_id)
    except ProblemError as error:
        return [Reply(describe(error.problems[0]))]
    return Enter("pesan", {"to": original.from_person_id, "rt_id": original.rt_id, "reply_to": original.id})


async def offer(ctx: Context) -> Enter | None:
    """For the engine: text from a Ketua RT or Bendahara that answers no question (often a reply to a broadcast,
    "Baik pak, saya hadir") is offered to their pendamping rather than answered "not understood"."""
    incoming = ctx.incoming
    if ctx.person is None or ctx.person.role not in RT_ROLES or incoming.kind != Kind.TEXT:
        return None
    try:
        text = pesan.check_text(incoming.text)
    except ProblemError:
        return None
    if all(unicodedata.category(ch)[0] in "NPZ" for ch in text):
        return None  # "3", "2.": a menu number typed where no menu is open, not words for the pendamping
    found = await _pendamping(ctx)
    if found is None or not await _reachable(ctx, found[1]):
        return None
    rt, pendamping = found
    return Enter("pesan", {"to": pendamping.id, "rt_id": rt.id, "text": text})


FLOW = Flow(
    name=NAME,
    roles=frozenset(Role),
    start=start,
    steps={"pesan": Step(ask_pesan, handle_pesan)},
    actions={BALAS: answer},
)
