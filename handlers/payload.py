"""A `Reply` as plain JSON for the outbox and back, so the delivery worker of any channel can render it later."""

from handlers.messages import Choice, Expect, Reply


def payload_of(reply: Reply) -> dict:
    return {
        "text": reply.text,
        "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
        "attachments": [list(a) for a in reply.attachments],
    }


def reply_from_payload(payload: dict) -> Reply:
    choices = tuple(Choice(c["id"], c["label"]) for c in payload.get("choices", []))
    return Reply(
        text=payload["text"],
        choices=choices,
        expect=Expect.CHOICE if choices else Expect.NOTHING,
        attachments=tuple(tuple(a) for a in payload.get("attachments", [])),
    )
