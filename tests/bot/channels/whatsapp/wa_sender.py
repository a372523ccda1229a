"""A small real `Sender` for WhatsApp inbound tests (the channel's own sender is written elsewhere): renders each
`Reply`, sends it over the real client to the fake Graph API, and remembers a numbered menu as the real one must, so
a typed number can be read back. Attachments and templates are not its business."""

from dataclasses import dataclass

from bot.channels.base import SendResult
from bot.channels.whatsapp.client import GraphApiError, TransportError, WhatsAppClient
from bot.channels.whatsapp.render import Words, render
from handlers.messages import Reply
from services import whatsapp_menus
from services.db import Database

WORDS = Words("Pilih", "Ketik nomor pilihan")


@dataclass
class TestSender:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    client: WhatsAppClient
    db: Database
    channel: str = "whatsapp"

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        return (await self.send_from(external_id, reply, 0))[0]

    async def send_from(self, external_id: str, reply: Reply, start: int) -> tuple[SendResult, int]:
        rendered = render(reply, WORDS)
        done, wamid = start, None
        for body in rendered.bodies[start:]:
            try:
                wamid = await self.client.send(external_id, body)
            except (GraphApiError, TransportError) as error:
                return SendResult(ok=False, error=str(error)), done
            done += 1
        if rendered.menu:
            async with self.db.unit_of_work() as session:
                await whatsapp_menus.remember(session, external_id, rendered.token, [c.id for c in rendered.menu])
        return SendResult(ok=True, message_id=wamid), done

    async def send_file(self, external_id: str, path: str, kind: str) -> SendResult:
        return SendResult(ok=False, error="not supported by the test sender")

    async def alive(self) -> bool:
        return True

    async def close(self) -> None:
        pass
