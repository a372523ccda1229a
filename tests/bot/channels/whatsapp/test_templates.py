"""bot/channels/whatsapp/templates.py: a shipped template becomes the Graph API's `template` message, and its quick
reply, pressed days later, comes back through the real webhook parsing and opens the command in the real engine."""

from pathlib import Path

import pytest

from bot.channels.whatsapp.incoming import to_incoming
from bot.channels.whatsapp.payload import messages, parse
from bot.channels.whatsapp.templates import command_of_choice, meta_submission, template_message
from handlers.engine import Engine
from handlers.flows import all_flows
from services.media import MediaStore
from services.models import Role
from services.whatsapp_templates import shipped_templates
from tests.handlers.conftest import World, load_roster

WA = "6281234567890"
REMINDER_VALUES = ("Budi Santoso", "Mei 2026", "RT 001 Kel. Simpang IV Sipin", "Rembuk warga")


@pytest.fixture
async def world(db, program, pepper, tmp_path: Path) -> World:
    await load_roster(db, program)
    engine = Engine(db, program, pepper, MediaStore(tmp_path / "media"), all_flows())
    return World(db, program, pepper, engine, tmp_path / "media")


def test_a_reminder_template_message_names_its_parameters_and_commands() -> None:
    body = template_message(shipped_templates().for_purpose("pengingat_bulanan"), REMINDER_VALUES)
    template = body["template"]
    assert (template["name"], template["language"]) == ("kb_pengingat_bulanan", {"code": "id"})
    assert [p["text"] for p in template["components"][0]["parameters"]] == list(REMINDER_VALUES)
    payloads = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    assert payloads == ["0:cmd:lapor", "0:cmd:jadwal"]
    assert [command_of_choice(p.partition(":")[2]) for p in payloads] == ["lapor", "jadwal"]
    assert command_of_choice("ya") is None and command_of_choice("cmd:") is None
    with pytest.raises(ValueError, match="takes 4 parameters"):
        template_message(shipped_templates().for_purpose("pengingat_bulanan"), REMINDER_VALUES[:3])


def test_the_submission_to_meta_carries_text_examples_and_buttons() -> None:
    submission = meta_submission(shipped_templates().for_purpose("pengingat_bulanan"))
    assert (submission["name"], submission["language"], submission["category"]) == (
        "kb_pengingat_bulanan",
        "id",
        "UTILITY",
    )
    body, buttons = submission["components"]
    assert body["text"].startswith("Bapak/Ibu {{1}}, ini pengingat {{2}} untuk {{3}}.")
    assert body["example"] == {
        "body_text": [["Budi Santoso", "Mei 2026", "RT 001 Kel. Simpang IV Sipin", "Rembuk warga, Kemajuan pekerjaan"]]
    }
    assert buttons == {
        "type": "BUTTONS",
        "buttons": [{"type": "QUICK_REPLY", "text": t} for t in ("Lapor sekarang", "Lihat jadwal")],
    }


async def test_pressing_lapor_sekarang_days_later_opens_lapor(world: World) -> None:
    chat = await world.chat()
    chat.channel, chat.user_id = "whatsapp", WA
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    await chat.send(f"DAFTAR {code}")
    body = template_message(shipped_templates().for_purpose("pengingat_bulanan"), REMINDER_VALUES)
    payload = body["template"]["components"][1]["parameters"][0]["payload"]
    webhook = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [{"wa_id": WA, "profile": {"name": "Budi"}}],
                            "messages": [
                                {
                                    "from": WA,
                                    "id": "wamid.quick1",
                                    "type": "button",
                                    "button": {"payload": payload, "text": "Lapor sekarang"},
                                }
                            ],
                        }
                    }
                ]
            }
        ]
    }
    ((message, contact),) = list(messages(parse(webhook)))
    replies = await chat.deliver(to_incoming(message, contact))
    (question,) = replies
    assert question.text.startswith("Tahap mana") and [c.id for c in question.choices] == ["s:sosialisasi"]
