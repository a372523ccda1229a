"""Real webhook payloads (payloads/*.json) through the pydantic models: nothing Meta sends is refused or lost."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.channels.whatsapp.payload import Text, WebhookPayload, messages, parse, statuses

PAYLOADS = Path(__file__).parent / "payloads"
ALL = sorted(path.stem for path in PAYLOADS.glob("*.json"))
WA = "6281234567890"


def load(name: str) -> WebhookPayload:
    return parse((PAYLOADS / f"{name}.json").read_bytes())


def test_every_fixture_parses() -> None:
    assert len(ALL) >= 20
    for name in ALL:
        payload = load(name)
        assert payload.object == "whatsapp_business_account"
        assert len(list(messages(payload))) + len(list(statuses(payload))) >= 1, name


@pytest.mark.parametrize(
    ("name", "type_", "read", "expected"),
    [
        ("text", "text", lambda m: m.text.body, "87 KK"),
        ("button_reply", "interactive", lambda m: (m.interactive.type, m.interactive.button_reply.id),
         ("button_reply", "5:ya")),
        ("list_reply", "interactive", lambda m: m.interactive.list_reply.id, "12:tahap_3"),
        ("template_button", "button", lambda m: (m.button.payload, m.button.text), ("0:lapor", "Lapor sekarang")),
        ("image", "image", lambda m: (m.image.id, m.image.mime_type, m.image.caption),
         ("1104480873777230", "image/jpeg", "Rembuk warga RT 03")),
        ("document", "document", lambda m: (m.document.filename, m.document.file_size),
         ("bukti_transfer.pdf", 284113)),
        ("location", "location", lambda m: (m.location.latitude, m.location.longitude), (-1.6101229, 103.6131203)),
        ("contacts", "contacts", lambda m: m.contacts[0]["name"]["formatted_name"], "Siti Aminah"),
        ("sticker", "sticker", lambda m: m.sticker.id, "826354917228161"),
        ("audio", "audio", lambda m: m.audio.model_extra, {"voice": True}),
        ("video", "video", lambda m: m.video.mime_type, "video/mp4"),
        ("reaction", "reaction", lambda m: m.reaction.emoji, "👍"),
        ("unsupported", "unsupported", lambda m: (m.errors[0].code, m.errors[0].error_data.details),
         (131051, "Message type is currently not supported.")),
        ("unknown_type", "poll_vote", lambda m: m.model_extra, {"poll_vote": {"poll_id": "123", "option": 2}}),
    ],
)  # fmt: skip
def test_message_types(name: str, type_: str, read, expected) -> None:
    [(message, contact)] = list(messages(load(name)))
    assert message.type == type_
    assert message.id.startswith("wamid.")
    assert (message.from_, contact.wa_id, contact.profile.name) == (WA, WA, "Budi Santoso")
    assert read(message) == expected


def test_reply_context_is_kept() -> None:
    [(message, _contact)] = list(messages(load("button_reply")))
    assert message.context.from_ == "6281100001111"
    assert message.context.id.startswith("wamid.")


def test_a_username_user_without_wa_id() -> None:
    [(message, contact)] = list(messages(load("username_user")))
    assert (message.from_, message.from_user_id) == (None, "ID.8801234567890123")
    assert (contact.wa_id, contact.user_id, contact.profile.name) == (None, "ID.8801234567890123", "Rina")


def test_unknown_fields_are_accepted_and_kept() -> None:
    payload = load("extra_fields")
    [(message, contact)] = list(messages(payload))
    assert message.text.body == "Halo"
    assert message.model_extra["future_field"] == {"a": 1}
    assert message.text.model_extra == {"new_text_field": True}
    assert contact.model_extra == {"identity_key_hash": "xyz"}
    assert payload.model_extra == {"new_top_field": 1}


def test_several_messages_keep_their_order_and_their_senders() -> None:
    found = [(m.id, m.type, c.wa_id, c.profile.name) for m, c in messages(load("several_messages"))]
    assert found == [
        ("wamid.MULTI1", "image", WA, "Budi Santoso"),
        ("wamid.MULTI2", "image", WA, "Budi Santoso"),
        ("wamid.MULTI3", "text", "6281200001111", "Siti Aminah"),
    ]


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_statuses(status: str) -> None:
    payload = load(f"status_{status}")
    assert list(messages(payload)) == []
    [item] = list(statuses(payload))
    assert (item.status, item.recipient_id) == (status, WA)
    assert item.id.startswith("wamid.")
    if status == "failed":
        [error] = item.errors
        assert (error.code, error.title) == (131047, "Re-engagement message")
        assert error.error_data.details.startswith("Message failed to send")
    else:
        assert item.errors == []


def test_a_message_with_only_an_id_and_a_type_still_parses() -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [{"type": "x"}]}}]}]}
    [(message, contact)] = list(messages(parse(body)))
    assert (message.type, message.id, contact) == ("x", "", None)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"entry": "nope"}'])
def test_what_is_not_a_payload_is_refused(body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse(body)


def test_payload_round_trips_through_json() -> None:
    for name in ALL:
        raw = json.loads((PAYLOADS / f"{name}.json").read_text())
        again = json.loads(load(name).model_dump_json(by_alias=True, exclude_unset=True))
        assert again == raw, name


def test_a_malformed_part_costs_neither_the_message_nor_its_neighbours() -> None:
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [{"wa_id": WA, "profile": "not an object"}],
                            "messages": [
                                {"from": WA, "id": "wamid.A", "type": "text", "text": "not an object"},
                                {"from": WA, "id": "wamid.B", "type": "image", "image": {"id": "1", "file_size": "x"}},
                                {"from": WA, "id": "wamid.C", "type": "text", "text": {"body": "ok"}},
                            ],
                            "statuses": [{"id": "wamid.S", "status": "failed", "errors": "???"}],
                        }
                    }
                ]
            }
        ],
    }
    payload = parse(body)
    found = [(m.id, m.type, m.text, c.wa_id) for m, c in messages(payload)]
    assert found == [
        ("wamid.A", "text", None, WA),
        ("wamid.B", "image", None, WA),
        ("wamid.C", "text", Text(body="ok"), WA),
    ]
    [status] = statuses(payload)
    assert (status.id, status.status, status.errors) == ("wamid.S", "failed", [])
