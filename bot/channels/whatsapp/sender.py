"""`WhatsAppSender`: one `Reply` to one WhatsApp number through the Cloud API, with Graph errors turned into a
`SendResult` the delivery policy decides by (its `error_code` is always Meta's code when Meta refused).

A reply can be several calls (render.py): attachments first (each uploaded to /media, then sent by id), the text
split at 4,096 characters, the choices on the last part. `send_from` resumes at a call index, so a retry never
repeats what already went out. A numbered text menu (more than ten choices) is remembered in the database
(services/whatsapp_menus.py) so a typed "7" is read back, by whichever process receives it.

Like the Telegram sender it never sleeps nor retries, and every error it reports is redacted: it is stored.
"""

import json
import logging
import mimetypes
from pathlib import Path

from sqlalchemy import select

from bot.channels.base import TRANSIENT, SendResult
from bot.channels.whatsapp.client import FateUnknown, GraphApiError, NotSent, TransportError, WhatsAppClient
from bot.channels.whatsapp.render import Body, Words, attachment_path, render, with_media_id
from bot.redaction import redact
from handlers.messages import Reply
from handlers.whatsapp_words import fixed_words
from services import whatsapp_menus
from services.db import Database
from services.models import ChannelIdentity, Person

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
THROUGHPUT = 130429  # the number's messages per second: the whole channel slows down
PAIR_RATE = 131056  # too many messages to one person in a short time: that person waits
OUTSIDE_WINDOW = 131047  # free-form outside the 24-hour window: only a template may go
UNDELIVERABLE = (131026, 131049)  # not delivered to this number for now (unknown number, Meta's own holding back)
# Meta gives no retry-after: these are its documented paces (80 messages/s; about one message per 6 s per person).
THROUGHPUT_PAUSE = 2.0
PAIR_RATE_PAUSE = 6.0


def error_code_of(error: GraphApiError) -> int:
    """Meta's code, or the HTTP status when its answer had none: a result that refused always carries a code."""
    return error.code if error.code is not None else error.status


def result_of_error(
    error: Exception,
    body: Body | None = None,
    throughput_pause: float = THROUGHPUT_PAUSE,
    pair_rate_pause: float = PAIR_RATE_PAUSE,
) -> SendResult:
    """The `SendResult` for what a Graph API call raised (`body`: the request, logged redacted on a bad request)."""
    text = redact(error)
    if isinstance(error, NotSent):
        return SendResult(ok=False, no_answer=True, error=f"{TRANSIENT}{text}")
    if isinstance(error, FateUnknown | TransportError):
        return SendResult(ok=False, uncertain=True, no_answer=True, error=f"{TRANSIENT}{text}")
    if not isinstance(error, GraphApiError):
        return SendResult(ok=False, error=f"{TRANSIENT}{text}")
    code = error_code_of(error)
    if error.code == THROUGHPUT:
        return SendResult(ok=False, retry_after=throughput_pause, error=text, error_code=code)
    if error.code == PAIR_RATE:
        return SendResult(ok=False, retry_after=pair_rate_pause, error=text, error_code=code)
    if error.status >= 500:
        # Meta answered that it failed: nothing went out, trying again is safe.
        return SendResult(ok=False, error=f"{TRANSIENT}{text}", error_code=code)
    if error.status == 200:
        # Accepted, but the answer had no message id: it may well be in the chat.
        return SendResult(ok=False, uncertain=True, error=f"{TRANSIENT}{text}", error_code=code)
    if error.code in UNDELIVERABLE:
        # Meta could not deliver to this number for now: a later try may pass (the policy marks and retries it).
        return SendResult(ok=False, error=f"{TRANSIENT}{text}", error_code=code)
    if error.status >= 400 and error.code != OUTSIDE_WINDOW:
        # A request Meta refuses as it is: the payload says why, and the policy fails it without a loop.
        log.error("whatsapp refused a request (%s): %s", text, redact(json.dumps(body or {}, ensure_ascii=False)))
    return SendResult(ok=False, error=text, error_code=code)


class WhatsAppSender:
    """The `Sender` of WhatsApp (bot/channels/base.py), plus `send_template` for the delivery policy."""

    channel = CHANNEL

    def __init__(
        self,
        client: WhatsAppClient,
        media_dir: Path,
        db: Database,
        *,
        throughput_pause: float = THROUGHPUT_PAUSE,
        pair_rate_pause: float = PAIR_RATE_PAUSE,
    ) -> None:
        self.client = client
        self.media_dir = Path(media_dir)
        self.db = db
        self.pauses = (throughput_pause, pair_rate_pause)

    async def alive(self) -> bool:
        """Does the Graph API answer at all? Any answer counts, even an error."""
        try:
            await self.client.media_info(self.client.phone_number_id)  # a harmless GET
        except TransportError:
            return False
        except GraphApiError:
            return True
        return True

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        result, _done = await self.send_from(external_id, reply, 0)
        return result

    async def send_file(self, external_id: str, path: str, kind: str) -> SendResult:
        # A reply of one attachment and no words renders to exactly that one call (render.py).
        return await self.send(external_id, Reply("", attachments=((kind, path),)))

    async def send_from(self, external_id: str, reply: Reply, start: int) -> tuple[SendResult, int]:
        """Send the reply's calls from index `start`; returns the result and how many calls are done in total."""
        rendered = render(reply, await self._words(external_id, reply))
        done, message_id = start, None
        for body in rendered.bodies[start:]:
            try:
                sent = await self._call(external_id, body)
            except (GraphApiError, TransportError) as error:
                result = result_of_error(error, body, *self.pauses)
                log.info("whatsapp send to %s failed at part %d: %s", external_id, done, result.error)
                return result, done
            done += 1
            message_id = sent or message_id
        if rendered.menu and done > start:
            # Remembered once the menu is out: a typed number before that could not have meant it.
            async with self.db.unit_of_work() as session:
                choice_ids = [choice.id for choice in rendered.menu]
                await whatsapp_menus.remember(session, external_id, rendered.token, choice_ids)
        return SendResult(ok=True, message_id=message_id), done

    async def send_template(self, external_id: str, body: Body) -> SendResult:
        """One template message (bot/channels/whatsapp/templates.py `template_message`): what may go outside the
        person's 24-hour window."""
        try:
            message_id = await self.client.send(external_id, body)
        except (GraphApiError, TransportError) as error:
            result = result_of_error(error, body, *self.pauses)
            log.info("whatsapp template to %s failed: %s", external_id, result.error)
            return result
        return SendResult(ok=True, message_id=message_id)

    # ---- plumbing ---------------------------------------------------------------------------------------
    async def _words(self, external_id: str, reply: Reply) -> Words:
        """The list button and menu hint in the person's language (only looked up when a list or menu needs it)."""
        locale = None
        if len(reply.choices) > 3:
            async with self.db.unit_of_work() as session:
                locale = await session.scalar(
                    select(Person.locale)
                    .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
                    .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == external_id)
                    .limit(1)
                )
        words = fixed_words(locale)
        return Words(list_button=words.list_button, menu_hint=words.menu_hint)

    async def _call(self, external_id: str, body: Body) -> str | None:
        """One body sent; an attachment uploaded first. None: an attachment that could not go (logged, skipped —
        never the reason the words and choices after it stay unsent, as on Telegram)."""
        path = attachment_path(body)
        if path is not None:
            media_id = await self._upload(self.media_dir / path)
            if media_id is None:
                return None
            body = with_media_id(body, media_id)
        return await self.client.send(external_id, body)

    async def _upload(self, path: Path) -> str | None:
        if not path.is_file():
            log.error("attachment missing, not sent: %s", path)
            return None
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            return await self.client.upload_media(path.read_bytes(), mime_type, path.name)
        except GraphApiError as error:
            if error.status >= 500 or error.code in (THROUGHPUT,):
                raise
            log.error("attachment refused by WhatsApp, not sent: %s (%s)", path, redact(error))
            return None
