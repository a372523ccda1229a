"""A reply survives the trip through the outbox's JSON: text, buttons, attachments, and the question's version."""

import json

from handlers.messages import Choice, Expect, Reply
from handlers.payload import PARTS_DONE, payload_of, reply_from_payload


def test_a_question_keeps_its_buttons_and_version() -> None:
    reply = Reply(
        "Simpan?", (Choice("save", "Simpan"), Choice("cancel", "Batal")), Expect.CHOICE, 12, (("a.jpg", "photo"),)
    )
    payload = json.loads(json.dumps(payload_of(reply, parts_done=1)))
    assert payload[PARTS_DONE] == 1
    back = reply_from_payload(payload)
    assert (back.text, back.choices, back.token, back.attachments) == (reply.text, reply.choices, 12, reply.attachments)


def test_a_notification_has_no_version() -> None:
    payload = payload_of(Reply("Laporan baru"))
    assert "token" not in payload and PARTS_DONE not in payload
    assert reply_from_payload(payload).token is None
