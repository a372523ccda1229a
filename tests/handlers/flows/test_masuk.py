"""/masuk: a pendamping or admin gets a one-time dashboard link in the chat; nobody else does."""

from services import web_sessions
from services.models import Role
from tests.handlers.flows.pendamping import pendamping, registered, text_of

WEB_URL = "https://kampung.example.go.id"


async def test_a_pendamping_gets_a_link_that_opens_the_dashboard_once(world) -> None:
    world.engine.settings = {"web_url": WEB_URL}
    chat = await pendamping(world)
    text = text_of(await chat.send("/masuk"))
    [link] = [word for word in text.split() if word.startswith(WEB_URL)]
    assert "10 menit" in text and "Jangan dibagikan" in text
    token = link.removeprefix(WEB_URL + web_sessions.LINK_PATH)
    async with world.db.unit_of_work() as session:
        opened = await web_sessions.redeem_link(session, token, world.pepper, now=world.engine.clock(), actor="t")
    assert opened.person.nama == "Dewi Lubis"


async def test_a_ketua_rt_is_told_the_command_is_not_for_them(world) -> None:
    chat = await registered(world, Role.KETUA_RT, "15.71.01.1001-001")
    text = text_of(await chat.send("/masuk"))
    assert "/masuk bukan untuk peran Bapak/Ibu" in text and web_sessions.LINK_PATH not in text
