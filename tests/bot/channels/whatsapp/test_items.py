"""One webhook POST → the stored items (one `inbound_update` row each), against real payload JSON shapes."""

import json
import logging
from pathlib import Path

import pytest

from bot.channels.whatsapp.items import StoredItem, split, update_id_of
from bot.channels.whatsapp.payload import parse

PAYLOADS = Path(__file__).parent / "payloads"
WA = "6281234567890"
WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDNzk1RjM2QTNBN0Y2RkUxAA=="
STATUS_WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEkRBMjk3RTFFQTQ1RjBCQjY5AA=="
MESSAGES = (
    "audio",
    "button_reply",
    "contacts",
    "document",
    "extra_fields",
    "image",
    "list_reply",
    "location",
    "reaction",
    "sticker",
    "template_button",
    "text",
    "text_daftar",
    "unknown_type",
    "unsupported",
    "video",
)


def raw(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def value_of(payload: dict) -> dict:
    return payload["entry"][0]["changes"][0]["value"]


def items_of(payload: dict) -> list[StoredItem]:
    return split(parse(json.dumps(payload)))


@pytest.mark.parametrize("name", MESSAGES)
def test_one_message_is_one_item_with_the_raw_dicts(name: str) -> None:
    payload = raw(name)
    [item] = items_of(payload)
    assert item.update_id == WAMID and item.person == WA
    assert item.item == {
        "kind": "message",
        "message": value_of(payload)["messages"][0],  # exactly as Meta sent it, unknown fields included
        "contact": value_of(payload)["contacts"][0],
    }
    assert json.loads(json.dumps(item.item)) == item.item
    assert update_id_of(item.item) == item.update_id


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_each_status_of_a_message_is_its_own_item(status: str) -> None:
    payload = raw(f"status_{status}")
    [item] = items_of(payload)
    assert item == StoredItem(
        f"status:{STATUS_WAMID}:{status}", WA, {"kind": "status", "status": value_of(payload)["statuses"][0]}
    )
    assert update_id_of(item.item) == item.update_id
    if status == "failed":
        assert item.item["status"]["errors"][0]["error_data"]["details"].startswith("Message failed")


def test_several_messages_of_several_people_in_order() -> None:
    items = items_of(raw("several_messages"))
    assert [(i.update_id, i.person) for i in items] == [
        ("wamid.MULTI1", WA),
        ("wamid.MULTI2", WA),
        ("wamid.MULTI3", "6281200001111"),
    ]
    # Each message carries its own sender's contact, not the first one of the POST.
    assert [i.item["contact"]["profile"]["name"] for i in items] == ["Budi Santoso", "Budi Santoso", "Siti Aminah"]


def test_a_username_user_without_wa_id_is_keyed_on_the_user_id() -> None:
    [item] = items_of(raw("username_user"))
    assert item.person == "ID.8801234567890123"
    assert item.item["message"]["from_user_id"] == "ID.8801234567890123"
    assert "from" not in item.item["message"]


def test_messages_and_statuses_in_one_post() -> None:
    payload = raw("text")
    value_of(payload)["statuses"] = value_of(raw("status_read"))["statuses"]
    items = items_of(payload)
    assert [i.item["kind"] for i in items] == ["message", "status"]


def test_a_message_without_id_gets_the_same_made_up_id_each_time(caplog: pytest.LogCaptureFixture) -> None:
    payload = raw("text")
    del value_of(payload)["messages"][0]["id"]
    with caplog.at_level(logging.WARNING):
        [first] = items_of(payload)
        [again] = items_of(payload)
    assert first.update_id.startswith("synthetic:") and first.update_id == again.update_id
    assert len(first.update_id) <= 128  # inbound_update.update_id
    assert update_id_of(first.item) == first.update_id
    assert "has no id" in caplog.text
    other = raw("text")
    del value_of(other)["messages"][0]["id"]
    value_of(other)["messages"][0]["text"]["body"] = "lain"
    assert items_of(other)[0].update_id != first.update_id


def test_what_cannot_be_kept_is_logged_never_dropped_silently(caplog: pytest.LogCaptureFixture) -> None:
    payload = raw("text")
    value = value_of(payload)
    value["contacts"] = []
    del value["messages"][0]["from"]
    value["statuses"] = [{"status": "delivered", "recipient_id": WA}]
    value["errors"] = [{"code": 131000, "title": "Something went wrong"}]
    with caplog.at_level(logging.WARNING):
        assert items_of(payload) == []
    assert "has no sender id" in caplog.text
    assert "without a message id" in caplog.text
    assert "131000" in caplog.text


def test_a_malformed_part_keeps_the_message() -> None:
    payload = raw("text")
    value_of(payload)["messages"][0]["text"] = "not an object"
    [item] = items_of(payload)
    assert item.update_id == WAMID and item.person == WA
    assert item.item["message"]["type"] == "text"


def test_a_status_without_recipient_still_has_a_line() -> None:
    payload = raw("status_read")
    del value_of(payload)["statuses"][0]["recipient_id"]
    [item] = items_of(payload)
    assert item.person == f"status:{STATUS_WAMID}"
