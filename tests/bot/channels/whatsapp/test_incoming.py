"""Real webhook payloads → `Incoming` (one row per fixture in payloads/), statuses → `StatusUpdate`."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp.incoming import StatusUpdate, choice_of, to_incoming, to_status
from bot.channels.whatsapp.payload import Contact, Message, messages, parse, statuses
from handlers.messages import Incoming, Kind, MediaItem

PAYLOADS = Path(__file__).parent / "payloads"
WA = "6281234567890"
NAME = "Budi Santoso"
WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDNzk1RjM2QTNBN0Y2RkUxAA=="


def incomings(name: str) -> list[Incoming | None]:
    payload = parse((PAYLOADS / f"{name}.json").read_bytes())
    return [to_incoming(message, contact) for message, contact in messages(payload)]


def unsupported() -> Incoming:
    return Incoming("whatsapp", WA, Kind.UNSUPPORTED, display_name=NAME, update_id=WAMID)


EXPECTED: dict[str, Incoming] = {
    "text": Incoming("whatsapp", WA, Kind.TEXT, text="87 KK", display_name=NAME, update_id=WAMID),
    "text_daftar": Incoming(
        "whatsapp",
        WA,
        Kind.COMMAND,
        text="daftar abcd-efgh",
        command="start",
        args="abcd-efgh",
        display_name=NAME,
        update_id=WAMID,
    ),
    "button_reply": Incoming("whatsapp", WA, Kind.CHOICE, choice="ya", token=5, display_name=NAME, update_id=WAMID),
    "list_reply": Incoming("whatsapp", WA, Kind.CHOICE, choice="tahap_3", token=12, display_name=NAME, update_id=WAMID),
    # A template's quick reply carries "0:<choice>": no conversation version, like an action button.
    "template_button": Incoming("whatsapp", WA, Kind.CHOICE, choice="lapor", display_name=NAME, update_id=WAMID),
    "image": Incoming(
        "whatsapp",
        WA,
        Kind.MEDIA,
        text="Rembuk warga RT 03",
        media=(MediaItem("photo", "1104480873777230", "image/jpeg"),),
        display_name=NAME,
        update_id=WAMID,
    ),
    "document": Incoming(
        "whatsapp",
        WA,
        Kind.MEDIA,
        text="Bukti transfer",
        media=(MediaItem("document", "1298304877611222", "application/pdf", 284113, "bukti_transfer.pdf"),),
        display_name=NAME,
        update_id=WAMID,
    ),
    "location": Incoming(
        "whatsapp",
        WA,
        Kind.LOCATION,
        latitude=-1.6101229,
        longitude=103.6131203,
        display_name=NAME,
        update_id=WAMID,
    ),
    "username_user": Incoming(
        "whatsapp", "ID.8801234567890123", Kind.TEXT, text="Halo", display_name="Rina", update_id=WAMID
    ),
    "extra_fields": Incoming("whatsapp", WA, Kind.TEXT, text="Halo", display_name=NAME, update_id=WAMID),
}
UNSUPPORTED = ("contacts", "sticker", "audio", "video", "reaction", "unsupported", "unknown_type")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_to_incoming(name: str) -> None:
    assert incomings(name) == [EXPECTED[name]]


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_what_we_cannot_use_is_answered_not_dropped(name: str) -> None:
    assert incomings(name) == [unsupported()]


def test_every_message_fixture_gives_an_incoming() -> None:
    names = {path.stem for path in PAYLOADS.glob("*.json") if not path.stem.startswith("status_")}
    assert names == set(EXPECTED) | set(UNSUPPORTED) | {"several_messages"}


def test_several_messages_each_become_an_incoming_in_order() -> None:
    assert incomings("several_messages") == [
        Incoming(
            "whatsapp",
            WA,
            Kind.MEDIA,
            media=(MediaItem("photo", "2001", "image/jpeg"),),
            display_name=NAME,
            update_id="wamid.MULTI1",
        ),
        Incoming(
            "whatsapp",
            WA,
            Kind.MEDIA,
            media=(MediaItem("photo", "2002", "image/jpeg"),),
            display_name=NAME,
            update_id="wamid.MULTI2",
        ),
        Incoming(
            "whatsapp",
            "6281200001111",
            Kind.COMMAND,
            text="/kk",
            command="kk",
            display_name="Siti Aminah",
            update_id="wamid.MULTI3",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [("DAFTAR ABCD-EFGH", "start", "ABCD-EFGH"), ("daftar abcdefgh", "start", "abcdefgh"), ("MULAI", "start", "")],
)
def test_typed_registration_words(text: str, command: str, args: str) -> None:
    message = Message.model_validate({"from": WA, "id": "wamid.X", "type": "text", "text": {"body": text}})
    incoming = to_incoming(message, Contact(wa_id=WA))
    assert (incoming.kind, incoming.command, incoming.args) == (Kind.COMMAND, command, args)


@pytest.mark.parametrize(
    ("reply_id", "expected"),
    [
        ("5:ya", (5, "ya")),
        ("0:act:tinjau_setuju:17", (None, "act:tinjau_setuju:17")),
        ("12:p:2:0", (12, "p:2:0")),
        ("ya", (None, "ya")),  # not ours: taken as a bare choice, the flow decides
        ("99999999999:ya", (None, "99999999999:ya")),  # a version beyond our ids is no version
        ("²:ya", (None, "²:ya")),
    ],
)
def test_choice_of(reply_id: str, expected: tuple) -> None:
    assert choice_of(reply_id) == expected


def test_wa_id_wins_over_user_id_and_from_is_the_fallback() -> None:
    message = Message.model_validate({"from": WA, "from_user_id": "ID.1", "id": "w", "type": "text", "text": {}})
    assert to_incoming(message, Contact(wa_id=WA, user_id="ID.1")).user_id == WA
    assert to_incoming(message, None).user_id == WA
    no_phone = Message.model_validate({"from_user_id": "ID.1", "id": "w", "type": "text", "text": {"body": "x"}})
    assert to_incoming(no_phone, None).user_id == "ID.1"


def test_the_contacts_phone_number_is_the_identity_even_when_the_message_names_only_the_user_id() -> None:
    message = Message.model_validate({"from_user_id": "ID.1", "id": "w", "type": "text", "text": {"body": "x"}})
    assert to_incoming(message, Contact(wa_id=WA, user_id="ID.1")).user_id == WA


def test_no_sender_at_all_gives_nothing_to_answer() -> None:
    assert to_incoming(Message.model_validate({"id": "w", "type": "text", "text": {"body": "x"}}), None) is None


def test_media_without_an_id_or_location_without_coordinates_is_unsupported() -> None:
    image = Message.model_validate({"from": WA, "id": "w", "type": "image", "image": {"mime_type": "image/png"}})
    place = Message.model_validate({"from": WA, "id": "w", "type": "location", "location": {"name": "Balai"}})
    assert to_incoming(image, None).kind == Kind.UNSUPPORTED
    assert to_incoming(place, None).kind == Kind.UNSUPPORTED


def test_a_disguised_name_is_cleaned() -> None:
    message = Message.model_validate({"from": WA, "id": "w", "type": "text", "text": {"body": "hi"}})
    contact = Contact.model_validate({"wa_id": WA, "profile": {"name": "\u202eNIMDA"}})
    assert to_incoming(message, contact).display_name == "NIMDA"


@pytest.mark.parametrize("status", ["sent", "delivered", "read"])
def test_status_updates(status: str) -> None:
    [item] = statuses(parse((PAYLOADS / f"status_{status}.json").read_bytes()))
    update = to_status(item)
    assert update == StatusUpdate(item.id, status, WA)
    assert not update.failed


def test_failed_status_carries_its_errors() -> None:
    [item] = statuses(parse((PAYLOADS / "status_failed.json").read_bytes()))
    update = to_status(item)
    assert update.failed
    assert update.errors == ((131047, "Re-engagement message"),)
    assert update.recipient == WA


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
known_types = st.sampled_from(
    ["text", "interactive", "button", "image", "document", "location", "contacts", "sticker", "audio", "video"]
)


@settings(max_examples=200, deadline=None)
@given(
    type_=known_types | st.text(min_size=1, max_size=12).filter(lambda t: t not in ("from", "id", "type")),
    content=json_values,
    interactive=st.fixed_dictionaries({"type": st.text(max_size=12), "button_reply": json_values}),
)
def test_any_message_from_a_known_sender_is_answered(type_: str, content, interactive: dict) -> None:
    """Whatever shape a message's content has, it gives one Incoming with its wamid: never an error, never lost."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [{"wa_id": WA}],
                            "messages": [
                                {"from": WA, "id": "wamid.P1", "type": type_, type_: content},
                                {"from": WA, "id": "wamid.P2", "type": "interactive", "interactive": interactive},
                            ],
                        }
                    }
                ]
            }
        ],
    }
    found = [to_incoming(m, c) for m, c in messages(parse(body))]
    assert [(i.user_id, i.update_id) for i in found] == [(WA, "wamid.P1"), (WA, "wamid.P2")]
