"""A `Reply` as plain JSON for the outbox and back, so the delivery worker of any channel can render it later."""

from handlers.messages import Choice, Expect, Reply

PARTS_DONE = "_parts_done"  # calls of a multi-message reply already delivered (a photo went, its text did not)
# What the message is for (services/whatsapp_templates.py PURPOSES): outside a person's WhatsApp window it goes as
# that purpose's template. Without one, WhatsApp sends the "please reply" opener and the message waits for the answer.
PURPOSE = "purpose"


def payload_of(reply: Reply, parts_done: int = 0, purpose: str | None = None) -> dict:
    payload = {
        "text": reply.text,
        "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
        "attachments": [list(a) for a in reply.attachments],
    }
    if reply.token is not None:
        payload["token"] = reply.token  # an answer handed over late keeps its buttons tied to their question
    if parts_done:
        payload[PARTS_DONE] = parts_done
    if purpose is not None:
        payload[PURPOSE] = purpose
    return payload


def reply_from_payload(payload: dict) -> Reply:
    choices = tuple(Choice(c["id"], c["label"]) for c in payload.get("choices", []))
    return Reply(
        text=payload["text"],
        choices=choices,
        expect=Expect.CHOICE if choices else Expect.NOTHING,
        token=payload.get("token"),
        attachments=tuple(tuple(a) for a in payload.get("attachments", [])),
    )
