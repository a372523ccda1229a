"""A template's quick reply pressed days later: the webhook's `button` message becomes the command the template
names, through the real engine — even when the person had left a conversation half-way."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.channels.whatsapp.incoming import to_incoming
from bot.channels.whatsapp.payload import messages, parse
from bot.channels.whatsapp.templates import template_message
from handlers.engine import Engine
from handlers.flows import all_flows
from handlers.messages import Kind
from services.media import MediaStore
from services.models import Role
from services.whatsapp_templates import shipped_templates
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.handlers.conftest import World, load_roster
from tests.handlers.flows.ketua_setup import FEB_10, RT_A, at, ketua, text_of


@pytest.fixture
async def world(db, program, pepper, tmp_path: Path) -> World:
    await load_roster(db, program)
    engine = Engine(db, program, pepper, MediaStore(tmp_path / "media"), all_flows())
    return World(db, program, pepper, engine, tmp_path / "media")


def pressed(purpose: str, title: str, wa_id: str):
    """The webhook Meta sends when the person presses `title` on the template we sent for `purpose`."""
    template = shipped_templates().for_purpose(purpose)
    body = template_message(template, tuple(p.contoh for p in template.parameters))
    index = next(i for i, b in enumerate(template.buttons) if b.title == title)
    button = next(c for c in body["template"]["components"] if c.get("index") == str(index))
    payload_value = button["parameters"][0]["payload"]
    fake = FakeWhatsAppServer()
    webhook = fake.message_webhook(wa_id, {"type": "button", "button": {"payload": payload_value, "text": title}})
    [(message, contact)] = list(messages(parse(webhook)))
    return to_incoming(message, contact)


@pytest.mark.parametrize(("title", "expected"), [("Lapor sekarang", "Tahap mana"), ("Lihat jadwal", "Jadwal")])
async def test_a_reminder_button_opens_its_command(world, title: str, expected: str) -> None:
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    incoming = pressed("pengingat_bulanan", title, chat.user_id)
    assert incoming.kind == Kind.CHOICE and incoming.token is None
    replies = await chat.deliver(replace(incoming, channel=chat.channel))
    assert expected.lower() in text_of(replies).lower()


async def test_the_press_opens_the_command_even_inside_an_old_conversation(world) -> None:
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/kk")  # a question left unanswered days ago
    incoming = pressed("pengingat_susulan", "Lapor sekarang", chat.user_id)
    replies = await chat.deliver(replace(incoming, channel=chat.channel))
    assert "Tahap mana" in text_of(replies)


async def test_the_opener_button_shows_the_menu(world) -> None:
    chat = await world.chat(Role.KETUA_RT, RT_A)
    incoming = pressed("buka_percakapan", "Lanjutkan", chat.user_id)
    replies = await chat.deliver(replace(incoming, channel=chat.channel))
    assert any(c.id.startswith("cmd:") for r in replies for c in r.choices)
